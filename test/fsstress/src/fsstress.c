/*
 * fsstress: a deterministic verify-after-write stress of a directory tree.
 *
 *   fsstress -p [-s SEED] DIR
 *       populate: fill the empty directory DIR with the tree SEED describes
 *       (directories, files of up to 128 KiB, symlinks), then exit.
 *   fsstress [-s SEED] [-n OPS] [-k EVERY] [-P] [-r] DIR
 *       run: check that DIR holds SEED's tree, then perform OPS operations
 *       chosen from SEED on it, verifying the whole tree after every EVERY
 *       operations and at the end. With -P, DIR is a parent directory: the
 *       run makes a fresh directory in it and populates it first (no
 *       pre-existing files); with -r it removes the tree at the end.
 *       With -M the mmap operation still maps the file MAP_SHARED and
 *       checks what the mapping shows, but writes the new bytes with pwrite:
 *       for file systems where writes through a shared mapping do not reach
 *       the file (the operation sequence and the final tree are the same).
 *       -v prints each operation on stderr after it is done.
 *
 * The program keeps a model of the tree: every directory's entries, every
 * file's expected bytes and link count, every symlink's target. Operations
 * are chosen from the model and a PRNG seeded by SEED, never from what the
 * file system returns, so the same seed gives the same operation sequence
 * natively and in a sandbox; the model says what each system call must
 * return (success, or ENOTEMPTY/EINVAL where the operation is wrong on
 * purpose). Operations: create, pwrite at a random offset (up to 256 KiB),
 * truncate (grow and shrink), append, rename of files (within and across
 * directories, over existing files) and of directories made by the run,
 * link, unlink, mkdir, rmdir, fsync/fdatasync, a MAP_SHARED mmap write read
 * back with pread, symlink with readlink, and reads of random ranges.
 *
 * Directories of the populated tree are never renamed: on Linux overlayfs
 * (without redirect_dir) renaming a lower directory gives EXDEV, which
 * natively it does not. Populated files have one link each, because
 * copy-up of a hard-linked lower file breaks the link on overlayfs.
 *
 * A verification compares, for every directory, the sorted readdir names
 * with the model's; for every entry its type (lstat), for regular files
 * size, link count, st_ino (equal for all links of a file, different between
 * files, unchanged for the file's life) and every byte; for symlinks the
 * readlink target. The first mismatch prints the operation number and what
 * differed, and the program exits 1 (2 for bad usage). On success it prints
 *
 *   fsstress seed=S ops=N verifies=V files=F bytes=B digest=D ms=T
 *
 * where D is a hash of the final tree (equal for equal seeds and op counts)
 * and T the milliseconds the operations and verifications took.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { T_FREE, T_REG, T_DIR, T_LNK };

#define MAX_NODES 4096
#define MAX_FILE_SIZE (512 << 10)
#define MAX_IO (256 << 10)
#define NAME_POOL 48
#define MAX_LIVE_FILES 100
#define MAX_LIVE_DIRS 40

struct entry {
	char name[16];
	int node;
};

struct node {
	int type;
	int nlink;               /* regular files: names in the tree */
	int populated;           /* directories: part of the populated tree */
	int parent;              /* directories: the parent directory */
	unsigned char *data;     /* regular files */
	size_t size, cap;
	char *target;            /* symlinks */
	ino_t ino;               /* regular files: 0 until first seen */
	struct entry *ents;      /* directories */
	int nents, capents;
};

static struct node nodes[MAX_NODES];
static const char *root;      /* the tree's directory */
static long opno;             /* the operation being performed; 0 at setup */
static char opdesc[PATH_MAX * 2 + 64];
static uint64_t rng;
static long live_files, live_dirs;
static int trace;              /* -v: print each operation on stderr */
static int pwrite_mmap;        /* -M: the mmap operation writes with pwrite */
static unsigned char iobuf[MAX_IO], cmpbuf[MAX_IO];

static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fsstress: op %ld (%s): ", opno, opno ? opdesc : "setup");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* splitmix64: small, fast and the same everywhere. */
static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? next() % n : 0;
}

/* A size from 1 to max, spread evenly over the powers of two. */
static size_t logsize(size_t max)
{
	int bits = 0;
	while (((size_t)1 << (bits + 1)) <= max)
		bits++;
	size_t hi = (size_t)1 << below(bits + 1);
	size_t n = hi + below(hi);
	return n > max ? max : n;
}

static void fill(unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = next();
		memcpy(p + i, &v, 8);
	}
	if (i < n) {
		uint64_t v = next();
		memcpy(p + i, &v, n - i);
	}
}

static int new_node(int type)
{
	for (int i = 0; i < MAX_NODES; i++) {
		if (nodes[i].type == T_FREE) {
			memset(&nodes[i], 0, sizeof(nodes[i]));
			nodes[i].type = type;
			if (type == T_REG)
				live_files++;
			if (type == T_DIR)
				live_dirs++;
			return i;
		}
	}
	die("model: out of nodes");
	return -1;
}

static void free_node(int n)
{
	struct node *x = &nodes[n];
	if (x->type == T_REG)
		live_files--;
	if (x->type == T_DIR)
		live_dirs--;
	free(x->data);
	free(x->target);
	free(x->ents);
	memset(x, 0, sizeof(*x));
}

static void set_size(struct node *f, size_t size)
{
	if (size > f->cap) {
		size_t c = f->cap ? f->cap : 4096;
		while (c < size)
			c *= 2;
		f->data = realloc(f->data, c);
		if (!f->data)
			die("model: out of memory");
		f->cap = c;
	}
	if (size > f->size)
		memset(f->data + f->size, 0, size - f->size);
	f->size = size;
}

static int lookup(int dir, const char *name)
{
	struct node *d = &nodes[dir];
	for (int i = 0; i < d->nents; i++)
		if (strcmp(d->ents[i].name, name) == 0)
			return i;
	return -1;
}

static void add_entry(int dir, const char *name, int node)
{
	struct node *d = &nodes[dir];
	if (d->nents == d->capents) {
		d->capents = d->capents ? 2 * d->capents : 8;
		d->ents = realloc(d->ents, d->capents * sizeof(*d->ents));
		if (!d->ents)
			die("model: out of memory");
	}
	snprintf(d->ents[d->nents].name, sizeof(d->ents[0].name), "%s", name);
	d->ents[d->nents].node = node;
	d->nents++;
	if (nodes[node].type == T_REG)
		nodes[node].nlink++;
	if (nodes[node].type == T_DIR)
		nodes[node].parent = dir;
}

/* Removes entry i of dir; the node is freed when no name is left. */
static void remove_entry(int dir, int i)
{
	struct node *d = &nodes[dir];
	int n = d->ents[i].node;
	memmove(&d->ents[i], &d->ents[i + 1], (d->nents - i - 1) * sizeof(*d->ents));
	d->nents--;
	if (nodes[n].type == T_REG && --nodes[n].nlink > 0)
		return;
	free_node(n);
}

/* Moves entry i of from to directory to under name; link counts stay. */
static void move_entry(int from, int i, int to, const char *name)
{
	struct node *d = &nodes[from];
	int n = d->ents[i].node;
	memmove(&d->ents[i], &d->ents[i + 1], (d->nents - i - 1) * sizeof(*d->ents));
	d->nents--;
	if (nodes[n].type == T_REG)
		nodes[n].nlink--; /* add_entry counts it again */
	add_entry(to, name, n);
}

/* The path of directory dir, joined with name if not NULL. */
static void path_of(int dir, const char *name, char *out)
{
	char tmp[PATH_MAX];
	if (dir == 0) {
		snprintf(tmp, sizeof(tmp), "%s", root);
	} else {
		struct node *p = &nodes[nodes[dir].parent];
		int i;
		for (i = 0; i < p->nents && p->ents[i].node != dir; i++)
			;
		if (i == p->nents)
			die("model: directory %d has no name", dir);
		path_of(nodes[dir].parent, p->ents[i].name, tmp);
	}
	int r = name ? snprintf(out, PATH_MAX, "%s/%s", tmp, name)
		     : snprintf(out, PATH_MAX, "%s", tmp);
	if (r >= PATH_MAX)
		die("model: path too long under %s", tmp);
}

/* Every directory, in model order (depth first). */
static int dirs[MAX_NODES], ndirs;

static void collect_dirs(int d)
{
	dirs[ndirs++] = d;
	for (int i = 0; i < nodes[d].nents; i++)
		if (nodes[nodes[d].ents[i].node].type == T_DIR)
			collect_dirs(nodes[d].ents[i].node);
}

static int random_dir(void)
{
	ndirs = 0;
	collect_dirs(0);
	return dirs[below(ndirs)];
}

/*
 * A random entry whose node has the given type (any type if 0), as a
 * directory and an index in it; returns 0 if there is none.
 */
static int random_entry(int type, int *dir, int *idx)
{
	ndirs = 0;
	collect_dirs(0);
	long count = 0;
	for (int i = 0; i < ndirs; i++)
		for (int j = 0; j < nodes[dirs[i]].nents; j++)
			if (!type || nodes[nodes[dirs[i]].ents[j].node].type == type)
				count++;
	if (count == 0)
		return 0;
	long pick = below(count);
	for (int i = 0; i < ndirs; i++)
		for (int j = 0; j < nodes[dirs[i]].nents; j++)
			if (!type || nodes[nodes[dirs[i]].ents[j].node].type == type)
				if (pick-- == 0) {
					*dir = dirs[i];
					*idx = j;
					return 1;
				}
	return 0;
}

/* A name from the pool that dir does not hold; returns 0 if it found none. */
static int free_name(int dir, char *name)
{
	for (int tries = 0; tries < 8; tries++) {
		snprintf(name, 16, "n%d", (int)below(NAME_POOL));
		if (lookup(dir, name) < 0)
			return 1;
	}
	return 0;
}

static int is_ancestor(int a, int d)
{
	for (;;) {
		if (d == a)
			return 1;
		if (d == 0)
			return 0;
		d = nodes[d].parent;
	}
}

/* System call wrappers that die unless the result is the expected one. */
static void want_ok(long r, const char *what, const char *path)
{
	if (r < 0)
		die("%s %s: %s", what, path, strerror(errno));
}

static void want_errno(long r, int err, const char *what, const char *path)
{
	if (r >= 0)
		die("%s %s succeeded, want %s", what, path, strerrorname_np(err));
	if (errno != err)
		die("%s %s: %s, want %s", what, path, strerrorname_np(errno),
		    strerrorname_np(err));
}

static void pwrite_all(int fd, const unsigned char *p, size_t n, off_t off, const char *path)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);
		if (w <= 0)
			die("pwrite %s at %lld: %s", path, (long long)off,
			    w < 0 ? strerror(errno) : "wrote 0 bytes");
		p += w;
		n -= w;
		off += w;
	}
}

/* Reads n bytes at off, which must all exist. */
static void pread_all(int fd, unsigned char *p, size_t n, off_t off, const char *path)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0)
			die("pread %s at %lld: %s", path, (long long)off, strerror(errno));
		if (r == 0)
			die("pread %s at %lld: end of file, want %zu more bytes", path,
			    (long long)off, n);
		p += r;
		n -= r;
		off += r;
	}
}

/* Compares the file's bytes [off, off+n) with the model's. */
static void check_range(int fd, struct node *f, size_t off, size_t n, const char *path)
{
	while (n > 0) {
		size_t c = n < MAX_IO ? n : MAX_IO;
		pread_all(fd, cmpbuf, c, off, path);
		if (memcmp(cmpbuf, f->data + off, c) != 0) {
			size_t i = 0;
			while (cmpbuf[i] == f->data[off + i])
				i++;
			die("%s: byte %zu is 0x%02x, want 0x%02x (file size %zu)", path,
			    off + i, cmpbuf[i], f->data[off + i], f->size);
		}
		off += c;
		n -= c;
	}
}

static int open_file(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	want_ok(fd, "open", path);
	return fd;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_ents(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Checks everything under directory d against the model. */
static void verify_dir(int d)
{
	char path[PATH_MAX], p[PATH_MAX];
	path_of(d, NULL, path);
	struct node *dn = &nodes[d];

	DIR *dp = opendir(path);
	if (!dp)
		die("opendir %s: %s", path, strerror(errno));
	char **names = NULL;
	int n = 0, capn = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(dp)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == capn) {
			capn = capn ? 2 * capn : 16;
			names = realloc(names, capn * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	if (errno)
		die("readdir %s: %s", path, strerror(errno));
	closedir(dp);
	qsort(names, n, sizeof(*names), cmp_names);
	struct entry *ents = malloc((dn->nents + 1) * sizeof(*ents));
	memcpy(ents, dn->ents, dn->nents * sizeof(*ents));
	qsort(ents, dn->nents, sizeof(*ents), cmp_ents);
	for (int i = 0; i < n || i < dn->nents; i++) {
		const char *got = i < n ? names[i] : "(nothing)";
		const char *want = i < dn->nents ? ents[i].name : "(nothing)";
		if (i >= n || i >= dn->nents || strcmp(got, want) != 0)
			die("readdir %s: entry %d is %s, want %s", path, i, got, want);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(ents);

	for (int i = 0; i < dn->nents; i++) {
		struct node *x = &nodes[dn->ents[i].node];
		path_of(d, dn->ents[i].name, p);
		struct stat st;
		want_ok(lstat(p, &st), "lstat", p);
		switch (x->type) {
		case T_DIR:
			if (!S_ISDIR(st.st_mode))
				die("%s: mode 0%o, want a directory", p, st.st_mode);
			verify_dir(dn->ents[i].node);
			break;
		case T_LNK: {
			if (!S_ISLNK(st.st_mode))
				die("%s: mode 0%o, want a symlink", p, st.st_mode);
			char buf[PATH_MAX];
			ssize_t r = readlink(p, buf, sizeof(buf));
			want_ok(r, "readlink", p);
			if ((size_t)r != strlen(x->target) || memcmp(buf, x->target, r) != 0)
				die("readlink %s: %.*s, want %s", p, (int)r, buf, x->target);
			break;
		}
		case T_REG: {
			if (!S_ISREG(st.st_mode))
				die("%s: mode 0%o, want a regular file", p, st.st_mode);
			if ((size_t)st.st_size != x->size)
				die("%s: size %lld, want %zu", p, (long long)st.st_size, x->size);
			if (st.st_nlink != (nlink_t)x->nlink)
				die("%s: %lu links, want %d", p, (unsigned long)st.st_nlink, x->nlink);
			if (x->ino == 0) {
				for (int j = 0; j < MAX_NODES; j++)
					if (nodes[j].type == T_REG && nodes[j].ino == st.st_ino)
						die("%s: inode %lu, which another file has", p,
						    (unsigned long)st.st_ino);
				x->ino = st.st_ino;
			} else if (x->ino != st.st_ino) {
				die("%s: inode %lu, want %lu (the file's inode number changed, or another link)",
				    p, (unsigned long)st.st_ino, (unsigned long)x->ino);
			}
			int fd = open_file(p, O_RDONLY);
			check_range(fd, x, 0, x->size, p);
			if (pread(fd, cmpbuf, 1, x->size) != 0)
				die("%s: data after the end (size %zu)", p, x->size);
			close(fd);
			break;
		}
		}
	}
}

static long verifies;

static void verify_all(void)
{
	verifies++;
	verify_dir(0);
}

/* ---- the operations ---- */

static void op_create(void)
{
	int d = random_dir();
	char name[16], p[PATH_MAX];
	if (live_files >= MAX_LIVE_FILES || !free_name(d, name))
		return;
	path_of(d, name, p);
	snprintf(opdesc, sizeof(opdesc), "create %s", p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	want_ok(fd, "create", p);
	int n = new_node(T_REG);
	add_entry(d, name, n);
	if (below(2)) {
		size_t len = logsize(64 << 10);
		set_size(&nodes[n], len);
		fill(nodes[n].data, len);
		pwrite_all(fd, nodes[n].data, len, 0, p);
	}
	want_ok(close(fd), "close", p);
}

/* Picks a regular file; returns its node or -1. */
static int pick_file(char *p)
{
	int d, i;
	if (!random_entry(T_REG, &d, &i))
		return -1;
	path_of(d, nodes[d].ents[i].name, p);
	return nodes[d].ents[i].node;
}

static void op_write(void)
{
	char p[PATH_MAX];
	int n = pick_file(p);
	if (n < 0)
		return;
	struct node *f = &nodes[n];
	size_t len = logsize(MAX_IO);
	/* Mostly within or just after the data; sometimes anywhere (a hole). */
	size_t off = below(4) ? below(f->size + 1) : below(MAX_FILE_SIZE - len + 1);
	if (off + len > MAX_FILE_SIZE)
		off = MAX_FILE_SIZE - len;
	snprintf(opdesc, sizeof(opdesc), "write %s [%zu, +%zu)", p, off, len);
	fill(iobuf, len);
	int fd = open_file(p, O_WRONLY);
	pwrite_all(fd, iobuf, len, off, p);
	want_ok(close(fd), "close", p);
	if (off + len > f->size)
		set_size(f, off + len);
	memcpy(f->data + off, iobuf, len);
}

static void op_append(void)
{
	char p[PATH_MAX];
	int n = pick_file(p);
	if (n < 0)
		return;
	struct node *f = &nodes[n];
	size_t len = logsize(64 << 10);
	if (f->size + len > MAX_FILE_SIZE)
		return;
	snprintf(opdesc, sizeof(opdesc), "append %s +%zu at %zu", p, len, f->size);
	fill(iobuf, len);
	int fd = open_file(p, O_WRONLY | O_APPEND);
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, iobuf + done, len - done);
		if (w <= 0)
			die("write %s: %s", p, w < 0 ? strerror(errno) : "wrote 0 bytes");
		done += w;
	}
	off_t pos = lseek(fd, 0, SEEK_CUR);
	if (pos != (off_t)(f->size + len))
		die("%s: offset %lld after append, want %zu", p, (long long)pos, f->size + len);
	want_ok(close(fd), "close", p);
	size_t old = f->size;
	set_size(f, old + len);
	memcpy(f->data + old, iobuf, len);
}

static void op_truncate(void)
{
	char p[PATH_MAX];
	int n = pick_file(p);
	if (n < 0)
		return;
	struct node *f = &nodes[n];
	size_t size = below(2) ? below(f->size + 1) : f->size + logsize(128 << 10);
	if (size > MAX_FILE_SIZE)
		size = MAX_FILE_SIZE;
	snprintf(opdesc, sizeof(opdesc), "truncate %s %zu -> %zu", p, f->size, size);
	if (below(2)) {
		want_ok(truncate(p, size), "truncate", p);
	} else {
		int fd = open_file(p, O_RDWR);
		want_ok(ftruncate(fd, size), "ftruncate", p);
		want_ok(close(fd), "close", p);
	}
	set_size(f, size);
}

static void op_rename_file(void)
{
	int sd, si;
	if (!random_entry(below(4) ? T_REG : T_LNK, &sd, &si))
		return;
	char from[PATH_MAX], to[PATH_MAX], name[16];
	path_of(sd, nodes[sd].ents[si].name, from);
	int dd = random_dir();
	int di = -1;
	if (below(3) == 0) {
		/* Over an existing non-directory of the target directory. */
		for (int i = 0; i < nodes[dd].nents; i++)
			if (nodes[nodes[dd].ents[i].node].type != T_DIR) {
				di = i;
				break;
			}
	}
	if (di >= 0)
		snprintf(name, sizeof(name), "%s", nodes[dd].ents[di].name);
	else if (!free_name(dd, name))
		return;
	path_of(dd, name, to);
	snprintf(opdesc, sizeof(opdesc), "rename %s -> %s", from, to);
	want_ok(rename(from, to), "rename", from);
	int n = nodes[sd].ents[si].node;
	if (di >= 0 && nodes[dd].ents[di].node == n)
		return; /* Two links of one file (or the same name): nothing happens. */
	char sname[16];
	snprintf(sname, sizeof(sname), "%s", nodes[sd].ents[si].name);
	if (di >= 0)
		remove_entry(dd, di);
	move_entry(sd, lookup(sd, sname), dd, name);
}

static void op_rename_dir(void)
{
	int sd, si;
	if (!random_entry(T_DIR, &sd, &si))
		return;
	int n = nodes[sd].ents[si].node;
	if (nodes[n].populated)
		return; /* EXDEV on overlayfs: see the top of the file. */
	char from[PATH_MAX], to[PATH_MAX], name[16];
	path_of(sd, nodes[sd].ents[si].name, from);
	int dd = random_dir();
	if (!free_name(dd, name))
		return;
	path_of(dd, name, to);
	snprintf(opdesc, sizeof(opdesc), "rename dir %s -> %s", from, to);
	if (is_ancestor(n, dd)) {
		want_errno(rename(from, to), EINVAL, "rename into itself", from);
		return;
	}
	want_ok(rename(from, to), "rename", from);
	move_entry(sd, si, dd, name);
}

static void op_link(void)
{
	int sd, si;
	if (!random_entry(T_REG, &sd, &si))
		return;
	int n = nodes[sd].ents[si].node;
	if (nodes[n].nlink >= 6)
		return;
	char from[PATH_MAX], to[PATH_MAX], name[16];
	path_of(sd, nodes[sd].ents[si].name, from);
	int dd = random_dir();
	if (!free_name(dd, name))
		return;
	path_of(dd, name, to);
	snprintf(opdesc, sizeof(opdesc), "link %s -> %s", from, to);
	want_ok(link(from, to), "link", from);
	add_entry(dd, name, n);
}

static void op_unlink(void)
{
	int d, i;
	if (!random_entry(below(4) ? T_REG : T_LNK, &d, &i))
		return;
	char p[PATH_MAX];
	path_of(d, nodes[d].ents[i].name, p);
	snprintf(opdesc, sizeof(opdesc), "unlink %s", p);
	want_ok(unlink(p), "unlink", p);
	remove_entry(d, i);
}

static void op_mkdir(void)
{
	int d = random_dir();
	char name[16], p[PATH_MAX];
	if (live_dirs >= MAX_LIVE_DIRS || !free_name(d, name))
		return;
	path_of(d, name, p);
	snprintf(opdesc, sizeof(opdesc), "mkdir %s", p);
	want_ok(mkdir(p, 0755), "mkdir", p);
	add_entry(d, name, new_node(T_DIR));
}

static void op_rmdir(void)
{
	int d, i;
	if (!random_entry(T_DIR, &d, &i))
		return;
	int n = nodes[d].ents[i].node;
	char p[PATH_MAX];
	path_of(d, nodes[d].ents[i].name, p);
	snprintf(opdesc, sizeof(opdesc), "rmdir %s", p);
	if (nodes[n].nents > 0) {
		want_errno(rmdir(p), ENOTEMPTY, "rmdir", p);
		return;
	}
	want_ok(rmdir(p), "rmdir", p);
	remove_entry(d, i);
}

static void op_fsync(void)
{
	char p[PATH_MAX];
	if (pick_file(p) < 0)
		return;
	int data = below(2);
	snprintf(opdesc, sizeof(opdesc), "%s %s", data ? "fdatasync" : "fsync", p);
	int fd = open_file(p, O_RDWR);
	want_ok(data ? fdatasync(fd) : fsync(fd), opdesc, p);
	want_ok(close(fd), "close", p);
}

static void op_mmap(void)
{
	char p[PATH_MAX];
	int n = pick_file(p);
	if (n < 0)
		return;
	struct node *f = &nodes[n];
	if (f->size == 0)
		return;
	long page = sysconf(_SC_PAGESIZE);
	size_t start = below(f->size) & ~(size_t)(page - 1);
	size_t maplen = f->size - start;
	if (maplen > MAX_IO)
		maplen = MAX_IO;
	size_t off = below(maplen), len = logsize(maplen - off);
	snprintf(opdesc, sizeof(opdesc), "mmap write %s [%zu, +%zu)", p, start + off, len);
	fill(iobuf, len);
	int sync = below(2);
	int fd = open_file(p, O_RDWR);
	unsigned char *m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
	if (m == MAP_FAILED)
		die("mmap %s: %s", p, strerror(errno));
	/* The mapping shows the file as it is before the write. */
	if (memcmp(m, f->data + start, maplen) != 0)
		die("%s: the MAP_SHARED mapping at %zu differs from the file", p, start);
	if (pwrite_mmap)
		pwrite_all(fd, iobuf, len, start + off, p);
	else
		memcpy(m + off, iobuf, len);
	if (sync)
		want_ok(msync(m, maplen, MS_SYNC), "msync", p);
	want_ok(munmap(m, maplen), "munmap", p);
	memcpy(f->data + start + off, iobuf, len);
	/* Read back through the file, with the descriptor still open or not. */
	if (below(2)) {
		want_ok(close(fd), "close", p);
		fd = open_file(p, O_RDONLY);
	}
	check_range(fd, f, start + off, len, p);
	want_ok(close(fd), "close", p);
}

static const char *const link_targets[] = {
	"n1", "../n2", "/nonexistent/x", "n3/n4", ".", "..", "a-rather-longer-target-name/with/parts",
};

static void op_symlink(void)
{
	int d = random_dir();
	char name[16], p[PATH_MAX], target[64];
	if (!free_name(d, name))
		return;
	path_of(d, name, p);
	snprintf(target, sizeof(target), "%s%s%d",
		 link_targets[below(sizeof(link_targets) / sizeof(link_targets[0]))],
		 below(2) ? "-" : "", (int)below(100));
	snprintf(opdesc, sizeof(opdesc), "symlink %s -> %s", p, target);
	want_ok(symlink(target, p), "symlink", p);
	int n = new_node(T_LNK);
	nodes[n].target = strdup(target);
	add_entry(d, name, n);
	char buf[PATH_MAX];
	ssize_t r = readlink(p, buf, sizeof(buf));
	want_ok(r, "readlink", p);
	if ((size_t)r != strlen(target) || memcmp(buf, target, r) != 0)
		die("readlink %s: %.*s, want %s", p, (int)r, buf, target);
}

static void op_read(void)
{
	char p[PATH_MAX];
	int n = pick_file(p);
	if (n < 0)
		return;
	struct node *f = &nodes[n];
	size_t off = below(f->size + 1), len = logsize(MAX_IO);
	if (off + len > f->size)
		len = f->size - off;
	snprintf(opdesc, sizeof(opdesc), "read %s [%zu, +%zu)", p, off, len);
	int fd = open_file(p, O_RDONLY);
	check_range(fd, f, off, len, p);
	want_ok(close(fd), "close", p);
}

static const struct {
	void (*fn)(void);
	int weight;
} ops[] = {
	{op_create, 8}, {op_write, 14}, {op_append, 6}, {op_truncate, 5},
	{op_rename_file, 8}, {op_rename_dir, 3}, {op_link, 5}, {op_unlink, 7},
	{op_mkdir, 4}, {op_rmdir, 3}, {op_fsync, 3}, {op_mmap, 6},
	{op_symlink, 3}, {op_read, 8},
};

static void one_op(void)
{
	int total = 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		total += ops[i].weight;
	int pick = below(total);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (pick < ops[i].weight) {
			snprintf(opdesc, sizeof(opdesc), "op kind %zu, skipped", i);
			ops[i].fn();
			return;
		}
		pick -= ops[i].weight;
	}
}

/*
 * Builds the populated tree in the model; with doit, also on disk. The
 * PRNG state it leaves is part of the seed's sequence.
 */
static void populate(int doit)
{
	char p[PATH_MAX];
	int d0 = new_node(T_DIR);
	nodes[d0].populated = 1;
	for (int i = 0; i < 6; i++) {
		int parent = random_dir();
		char name[16];
		if (!free_name(parent, name))
			continue;
		int n = new_node(T_DIR);
		nodes[n].populated = 1;
		add_entry(parent, name, n);
		if (doit) {
			path_of(parent, name, p);
			want_ok(mkdir(p, 0755), "mkdir", p);
		}
	}
	for (int i = 0; i < 40; i++) {
		int parent = random_dir();
		char name[16];
		if (!free_name(parent, name))
			continue;
		int symlink_ = below(8) == 0;
		int n = new_node(symlink_ ? T_LNK : T_REG);
		add_entry(parent, name, n);
		path_of(parent, name, p);
		if (symlink_) {
			char target[32];
			snprintf(target, sizeof(target), "n%d", (int)below(NAME_POOL));
			nodes[n].target = strdup(target);
			if (doit)
				want_ok(symlink(target, p), "symlink", p);
			continue;
		}
		size_t len = below(4) ? logsize(128 << 10) : 0;
		set_size(&nodes[n], len);
		fill(nodes[n].data, len);
		if (doit) {
			int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			want_ok(fd, "create", p);
			pwrite_all(fd, nodes[n].data, len, 0, p);
			want_ok(close(fd), "close", p);
		}
	}
}

static uint64_t digest;

static void hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		digest ^= b[i];
		digest *= 0x100000001b3ULL;
	}
}

/* Hashes the model's tree (names sorted, so the order of creation does not count). */
static void digest_dir(int d, long *files, long long *bytes)
{
	struct node *dn = &nodes[d];
	struct entry *ents = malloc((dn->nents + 1) * sizeof(*ents));
	memcpy(ents, dn->ents, dn->nents * sizeof(*ents));
	qsort(ents, dn->nents, sizeof(*ents), cmp_ents);
	for (int i = 0; i < dn->nents; i++) {
		struct node *x = &nodes[ents[i].node];
		hash(ents[i].name, strlen(ents[i].name) + 1);
		hash(&x->type, sizeof(x->type));
		if (x->type == T_DIR)
			digest_dir(ents[i].node, files, bytes);
		if (x->type == T_LNK)
			hash(x->target, strlen(x->target) + 1);
		if (x->type == T_REG) {
			(*files)++;
			*bytes += x->size;
			hash(&x->nlink, sizeof(x->nlink));
			hash(x->data, x->size);
		}
	}
	free(ents);
}

static int remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	DIR *dp = opendir(path);
	if (!dp)
		return -1;
	struct dirent *de;
	while ((de = readdir(dp)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		if (remove_tree(p) < 0) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return rmdir(path);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: fsstress -p [-s SEED] DIR\n"
			"       fsstress [-s SEED] [-n OPS] [-k EVERY] [-P] [-r] [-M] [-v] DIR\n");
	exit(2);
}

static long parse_num(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || *end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	long seed = 1, nops = 20000, every = 2000;
	int populate_only = 0, self_populate = 0, remove_at_end = 0, c;
	while ((c = getopt(argc, argv, "ps:n:k:PrMv")) != -1) {
		switch (c) {
		case 'p': populate_only = 1; break;
		case 's': seed = parse_num(optarg); break;
		case 'n': nops = parse_num(optarg); break;
		case 'k': every = parse_num(optarg); break;
		case 'P': self_populate = 1; break;
		case 'r': remove_at_end = 1; break;
		case 'M': pwrite_mmap = 1; break;
		case 'v': trace = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || every == 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[PATH_MAX];
	if (self_populate) {
		snprintf(dir, sizeof(dir), "%s/fsstress-XXXXXX", argv[optind]);
		if (!mkdtemp(dir))
			die("mkdtemp %s: %s", dir, strerror(errno));
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[optind]);
	}
	root = dir;
	rng = (uint64_t)seed;
	populate(populate_only || self_populate);
	if (populate_only)
		return 0;

	double start = now_ms();
	verify_all(); /* The populated tree, copy-up not yet done. */
	for (opno = 1; opno <= nops; opno++) {
		one_op();
		if (trace)
			fprintf(stderr, "op %ld: %s\n", opno, opdesc);
		if (opno % every == 0)
			verify_all();
	}
	opno = nops;
	snprintf(opdesc, sizeof(opdesc), "final verification");
	verify_all();
	double ms = now_ms() - start;

	long files = 0;
	long long bytes = 0;
	digest = 0xcbf29ce484222325ULL;
	digest_dir(0, &files, &bytes);
	if (remove_at_end && remove_tree(dir) < 0)
		die("removing %s: %s", dir, strerror(errno));
	printf("fsstress seed=%ld ops=%ld verifies=%ld files=%ld bytes=%lld digest=%016" PRIx64 " ms=%.0f\n",
	       seed, nops, verifies, files, bytes, digest, ms);
	return 0;
}
