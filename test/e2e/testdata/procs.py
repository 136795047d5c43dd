# Python's process and event APIs: subprocess, multiprocessing (fork),
# threading, select/epoll, signal.alarm and os.fork/waitpid. Prints only
# deterministic results, so the output can be compared with a native run.
import multiprocessing as mp
import os
import select
import signal
import subprocess
import threading
import time


def square(x):
    return x * x


def main():
    out = subprocess.run(["/bin/echo", "hello"], capture_output=True, text=True)
    print("run:", out.stdout.strip(), out.returncode)
    p = subprocess.Popen(["/bin/cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    so, _ = p.communicate("through cat\n")
    print("communicate:", so.strip(), p.returncode)
    try:
        subprocess.run(["/bin/sleep", "5"], timeout=0.3)
    except subprocess.TimeoutExpired:
        print("timeout: expired")
    print("false:", subprocess.call(["/bin/false"]))
    sh = subprocess.run("echo a b c | wc -w", shell=True, capture_output=True, text=True)
    print("shell:", sh.stdout.strip())

    ctx = mp.get_context("fork")
    with ctx.Pool(4) as pool:
        print("pool:", sum(pool.map(square, range(100))))
    q = ctx.Queue()
    proc = ctx.Process(target=q.put, args=("from child",))
    proc.start()
    print("queue:", q.get())
    proc.join()
    print("process exitcode:", proc.exitcode)

    results = []
    lock = threading.Lock()

    def work(n):
        with lock:
            results.append(n * 2)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("threads:", sorted(results))

    r, w = os.pipe()
    ready, _, _ = select.select([r], [], [], 0)
    print("select empty:", ready)
    os.write(w, b"x")
    ready, _, _ = select.select([r], [], [], 1)
    print("select ready:", ready == [r])
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    print("epoll:", [(fd == r, ev & select.EPOLLIN != 0) for fd, ev in ep.poll(1)])
    ep.close()

    fired = []
    signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    signal.alarm(1)
    while not fired:
        time.sleep(0.05)
    print("alarm fired:", len(fired))

    pid = os.fork()
    if pid == 0:
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    print("fork/waitpid:", os.WIFEXITED(status), os.WEXITSTATUS(status))
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    print("killed child:", os.WIFSIGNALED(status), os.WTERMSIG(status))


if __name__ == "__main__":
    main()
