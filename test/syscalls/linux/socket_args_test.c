/*
 * The argument checks of the socket calls that happen before a socket
 * family or a socket is involved: bad type flags, types and families in
 * socket(2) and socketpair(2), flags refused by accept4 and the sendmsg
 * family, and the calls on a descriptor that is not a socket (EBADF,
 * ENOTSOCK). Linux and the sandbox agree on these whatever families they
 * have.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <sys/socket.h>

#ifndef MSG_CMSG_COMPAT
#define MSG_CMSG_COMPAT 0x80000000
#endif

TEST(socket_bad_arguments)
{
	struct {
		int family, type;
		int err;
	} cases[] = {
		/* Flags other than SOCK_NONBLOCK and SOCK_CLOEXEC: first. */
		{AF_UNIX, SOCK_STREAM | 0x10, EINVAL},
		{AF_UNIX, SOCK_STREAM | O_APPEND, EINVAL},
		{-1, SOCK_STREAM | 0x10, EINVAL},
		/* Then the family's range... */
		{-1, SOCK_STREAM, EAFNOSUPPORT},
		{46, SOCK_STREAM, EAFNOSUPPORT},
		{1000, SOCK_DGRAM | SOCK_CLOEXEC, EAFNOSUPPORT},
		/* ...then the type's. */
		{AF_UNIX, 11, EINVAL},
		{AF_UNIX, 15 | SOCK_NONBLOCK, EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errno = 0;
		EXPECT_EQ(socket(cases[i].family, cases[i].type, 0), -1);
		EXPECT_EQ(errno, cases[i].err);
		int sv[2];
		errno = 0;
		EXPECT_EQ(socketpair(cases[i].family, cases[i].type, 0, sv), -1);
		EXPECT_EQ(errno, cases[i].err);
	}
}

TEST(socket_calls_on_a_bad_descriptor)
{
	char buf[8];
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	struct msghdr msg = {0};
	struct mmsghdr mmsg = {0};
	int v = 1;
	EXPECT_ERRNO(bind(-1, (struct sockaddr *)&sa, sizeof(sa)), EBADF);
	EXPECT_ERRNO(connect(999, (struct sockaddr *)&sa, sizeof(sa)), EBADF);
	EXPECT_ERRNO(listen(-1, 1), EBADF);
	EXPECT_ERRNO(accept(-1, 0, 0), EBADF);
	EXPECT_ERRNO(accept4(-1, 0, 0, SOCK_CLOEXEC), EBADF);
	EXPECT_ERRNO(getsockname(-1, (struct sockaddr *)&sa, &len), EBADF);
	EXPECT_ERRNO(getpeername(-1, (struct sockaddr *)&sa, &len), EBADF);
	EXPECT_ERRNO(sendto(-1, buf, 1, 0, 0, 0), EBADF);
	EXPECT_ERRNO(recvfrom(-1, buf, 1, 0, 0, 0), EBADF);
	EXPECT_ERRNO(sendmsg(-1, &msg, 0), EBADF);
	EXPECT_ERRNO(recvmsg(-1, &msg, 0), EBADF);
	EXPECT_ERRNO(sendmmsg(-1, &mmsg, 1, 0), EBADF);
	EXPECT_ERRNO(recvmmsg(-1, &mmsg, 1, 0, 0), EBADF);
	EXPECT_ERRNO(shutdown(-1, SHUT_RDWR), EBADF);
	EXPECT_ERRNO(setsockopt(-1, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
	EXPECT_ERRNO(getsockopt(-1, SOL_SOCKET, SO_TYPE, &v, &len), EBADF);
}

TEST(socket_calls_on_files_that_are_not_sockets)
{
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	int fds[] = {p[0], p[1], open("/dev/null", O_RDWR), open("/", O_RDONLY | O_DIRECTORY)};
	ASSERT_TRUE(fds[2] >= 0 && fds[3] >= 0);
	char buf[8] = {0};
	struct sockaddr_storage sa = {0};
	socklen_t len = sizeof(sa);
	struct msghdr msg = {0};
	int v = 1;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		int fd = fds[i];
		EXPECT_ERRNO(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ENOTSOCK);
		EXPECT_ERRNO(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ENOTSOCK);
		EXPECT_ERRNO(listen(fd, 1), ENOTSOCK);
		EXPECT_ERRNO(accept(fd, 0, 0), ENOTSOCK);
		EXPECT_ERRNO(getsockname(fd, (struct sockaddr *)&sa, &len), ENOTSOCK);
		EXPECT_ERRNO(getpeername(fd, (struct sockaddr *)&sa, &len), ENOTSOCK);
		EXPECT_ERRNO(sendto(fd, buf, 1, 0, 0, 0), ENOTSOCK);
		EXPECT_ERRNO(recvfrom(fd, buf, 1, MSG_DONTWAIT, 0, 0), ENOTSOCK);
		EXPECT_ERRNO(sendmsg(fd, &msg, 0), ENOTSOCK);
		EXPECT_ERRNO(shutdown(fd, SHUT_RDWR), ENOTSOCK);
		EXPECT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), ENOTSOCK);
		EXPECT_ERRNO(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
	}
	/* The pointer arguments are not read before the socket is found. */
	EXPECT_ERRNO(bind(p[0], (struct sockaddr *)8, sizeof(sa)), ENOTSOCK);
	EXPECT_ERRNO(getpeername(p[0], (struct sockaddr *)8, (socklen_t *)8), ENOTSOCK);
	/* An O_PATH descriptor is no descriptor to them. */
	int opath = open("/", O_PATH);
	ASSERT_SYSCALL_OK(opath);
	EXPECT_ERRNO(getpeername(opath, (struct sockaddr *)&sa, &len), EBADF);
	EXPECT_ERRNO(listen(opath, 1), EBADF);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	close(opath);
}

TEST(socket_flag_checks_come_first)
{
	int p[2];
	ASSERT_SYSCALL_OK(pipe(p));
	struct msghdr msg = {0};
	struct mmsghdr mmsg = {0};
	/*
	 * accept4: only SOCK_NONBLOCK and SOCK_CLOEXEC, checked once the
	 * descriptor is found and before it is known to be no socket.
	 */
	EXPECT_ERRNO(accept4(-1, 0, 0, O_APPEND), EBADF);
	EXPECT_ERRNO(accept4(p[0], 0, 0, 1), EINVAL);
	EXPECT_ERRNO(accept4(p[0], 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC), ENOTSOCK);
	/* The message calls refuse MSG_CMSG_COMPAT from user space. */
	EXPECT_ERRNO(sendmsg(-1, &msg, MSG_CMSG_COMPAT), EINVAL);
	EXPECT_ERRNO(recvmsg(-1, &msg, MSG_CMSG_COMPAT), EINVAL);
	EXPECT_ERRNO(sendmmsg(-1, &mmsg, 1, MSG_CMSG_COMPAT), EINVAL);
	EXPECT_ERRNO(recvmmsg(-1, &mmsg, 1, MSG_CMSG_COMPAT, 0), EINVAL);
	close(p[0]);
	close(p[1]);
}
