"""Loaded by every Python process the tests start (PYTHONPATH points here): refuse, and log, any
network connection that leaves this machine, so a notebook that tries to download anything fails
the test run. Loopback stays open (Jupyter kernels talk to their clients over it)."""
import ipaddress
import os
import socket

_LOG = os.environ.get("GAN_LESSON_NETWORK_LOG")


def _local(host):
    if host in ("localhost", "", None) or (isinstance(host, str) and host.endswith(".localhost")):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what, host):
    if _LOG:
        with open(_LOG, "a") as f:
            f.write(f"{os.getpid()} {what} {host}\n")
    raise OSError(101, f"network access is blocked during the tests ({what} {host})")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _guard_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse("connect", address[0])
    return _connect(self, address)


def _guard_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _refuse("connect", address[0])
    return _connect_ex(self, address)


def _guard_getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _refuse("resolve", host)
    return _getaddrinfo(host, *args, **kwargs)


if _LOG:
    socket.socket.connect = _guard_connect
    socket.socket.connect_ex = _guard_connect_ex
    socket.getaddrinfo = _guard_getaddrinfo
