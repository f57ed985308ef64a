#!/usr/bin/env python3
"""The interactive console of `omnivm run` on a real terminal (a pseudo-terminal here):
boots the default guest (scripts/mkinitramfs, no check) with stdin/stdout on the pty and
checks, printing one "ok system/NAME[ENGINE]" or "not ok ..." line each:

  shell         the busybox shell answers a command typed on the console
  raw_mode      while omnivm runs, the terminal has echo, canonical mode and signals off
  ctrl_c        Ctrl-C reaches the guest (interrupts a guest `sleep`), not omnivm
  help_key      Ctrl-A H prints the escape help
  quit_key      Ctrl-A X ends omnivm with status 0
  tty_restored  afterwards the terminal settings are exactly what they were before

usage: console_test.py ENGINE TIMEOUT OMNIVM ARGS...   (ARGS: the rest of `omnivm run`)
"""
import os
import re
import select
import subprocess
import sys
import termios
import time


def main():
    engine, timeout, cmd = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    out = bytearray()
    results = {}

    def report(name, ok, why=""):
        results[name] = ok
        print(f"ok system/{name}[{engine}]" if ok else f"not ok system/{name}[{engine}]: {why}",
              flush=True)

    def found(pattern):
        if isinstance(pattern, re.Pattern):
            return pattern.search(out) is not None
        return pattern in out

    def wait_for(pattern, secs):
        end = time.time() + secs
        while time.time() < end:
            if found(pattern):
                return True
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return found(pattern)
                if not data:
                    break
                out.extend(data)
        return found(pattern)

    def send(text):
        os.write(master, text)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                         close_fds=True)
    try:
        # The prompt comes after the boot; wait for the shell's own prompt text.
        booted = wait_for(re.compile(rb"omnivm:[^\r\n]*# "), timeout)
        if not booted:
            report("shell", False, "no shell prompt within %gs; last output: %r"
                   % (timeout, bytes(out[-300:])))
        else:
            mark = len(out)
            send(b"echo $((6*7))-shell-ok\r")
            ok = wait_for(b"42-shell-ok", 60) and b"42-shell-ok" in out[mark:]
            report("shell", ok, "no answer to a typed command")
        now = termios.tcgetattr(slave)
        lflag = now[3]
        raw = not (lflag & (termios.ECHO | termios.ICANON | termios.ISIG))
        report("raw_mode", raw, "lflag %#x still has ECHO/ICANON/ISIG" % lflag)
        if booted:
            mark = len(out)
            send(b"sleep 100; echo $((1+1))-slept-through\r")
            time.sleep(2)
            send(b"\x03")
            send(b"echo after-ctrl-c\r")
            ok = wait_for(re.compile(rb"\nafter-ctrl-c\r"), 60) and b"2-slept-through" not in out[mark:] \
                and p.poll() is None
            report("ctrl_c", ok, "Ctrl-C did not interrupt the guest's sleep (or killed omnivm)")
        mark = len(out)
        send(b"\x01h")
        report("help_key", wait_for(b"Ctrl-A X", 20), "no help text after Ctrl-A H")
        send(b"\x01x")
        try:
            rc = p.wait(30)
            report("quit_key", rc == 0, "exit status %d" % rc)
        except subprocess.TimeoutExpired:
            report("quit_key", False, "omnivm still running 30s after Ctrl-A X")
        after = termios.tcgetattr(slave)
        report("tty_restored", after == before, "terminal settings differ after exit")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        with open(os.environ.get("CONSOLE_LOG", os.devnull), "wb") as f:
            f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
