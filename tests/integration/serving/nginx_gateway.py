"""The gateway of docker/gateway/ under a real nginx binary, as a child process of the test.

nginx runs with its own prefix and configuration in a temporary folder, in the foreground and
single-process, on free loopback ports — never the system service. The shipped template is
rendered the way the official nginx image does it (``${GATEWAY_*}`` substituted) and included
in a minimal main configuration that keeps every file nginx writes inside the prefix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
TEMPLATE = REPO / "docker" / "gateway" / "lcm-gateway.conf.template"
TEMPLATE_VARIABLES = (
    "GATEWAY_LCM_API",
    "GATEWAY_ANALYTICS_API",
    "GATEWAY_ECOMMERCE",
    "GATEWAY_ENTERPRISE_ACCESS",
    "GATEWAY_ENTERPRISE_SUBSIDY",
    "GATEWAY_ANALYTICS_LISTEN",
    "GATEWAY_ECOMMERCE_LISTEN",
    "GATEWAY_ACCESS_LISTEN",
    "GATEWAY_SUBSIDY_LISTEN",
)
MAIN_CONF = """\
daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/lcm-gateway.conf;
}}
"""


def nginx_binary() -> str:
    """The nginx executable, or skip with how to get it (Debian: /usr/sbin, often off PATH)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.skip(
            "nginx is not installed: the gateway test needs a real nginx binary "
            "(Debian/Ubuntu: apt-get install -y nginx; .ci/run installs it)"
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def render_template(values: dict[str, str]) -> str:
    """``envsubst`` over the template's ``${GATEWAY_*}`` variables (nginx's own ``$vars`` stay)."""
    text = TEMPLATE.read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))
    assert used == set(TEMPLATE_VARIABLES), f"template variables changed: {sorted(used)}"
    for name in TEMPLATE_VARIABLES:
        text = text.replace("${" + name + "}", values[name])
    return text


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(200):  # bounded: at most ~10 s of polling
        if process.poll() is not None:
            raise AssertionError(f"nginx exited ({process.returncode}): {log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}: {log.read_text()}")


@dataclasses.dataclass(frozen=True)
class Gateway:
    analytics_url: str
    ecommerce_url: str
    prefix: Path
    access_url: str = ""
    subsidy_url: str = ""


@contextlib.contextmanager
def run_gateway(
    tmp_path: Path,
    *,
    lcm_api: str,
    analytics_api: str,
    ecommerce: str,
    enterprise_access: str | None = None,
    enterprise_subsidy: str | None = None,
) -> Iterator[Gateway]:
    """nginx with the shipped gateway configuration, in front of the given upstreams (the
    ledger-era services default to the ecommerce one's address when a test does not name them)."""
    binary = nginx_binary()
    prefix = tmp_path / "nginx"
    prefix.mkdir(parents=True)
    analytics_port, ecommerce_port = free_port(), free_port()
    access_port, subsidy_port = free_port(), free_port()
    (prefix / "lcm-gateway.conf").write_text(
        render_template(
            {
                "GATEWAY_LCM_API": lcm_api,
                "GATEWAY_ANALYTICS_API": analytics_api,
                "GATEWAY_ECOMMERCE": ecommerce,
                "GATEWAY_ENTERPRISE_ACCESS": enterprise_access or ecommerce,
                "GATEWAY_ENTERPRISE_SUBSIDY": enterprise_subsidy or ecommerce,
                "GATEWAY_ANALYTICS_LISTEN": f"127.0.0.1:{analytics_port}",
                "GATEWAY_ECOMMERCE_LISTEN": f"127.0.0.1:{ecommerce_port}",
                "GATEWAY_ACCESS_LISTEN": f"127.0.0.1:{access_port}",
                "GATEWAY_SUBSIDY_LISTEN": f"127.0.0.1:{subsidy_port}",
            }
        )
    )
    conf = prefix / "nginx.conf"
    conf.write_text(MAIN_CONF.format(prefix=prefix))
    command = [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    log = prefix / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stderr, stderr=stderr)
    try:
        for port in (analytics_port, ecommerce_port, access_port, subsidy_port):
            _wait_for_port(port, process, log)
        yield Gateway(
            f"http://127.0.0.1:{analytics_port}",
            f"http://127.0.0.1:{ecommerce_port}",
            prefix,
            access_url=f"http://127.0.0.1:{access_port}",
            subsidy_url=f"http://127.0.0.1:{subsidy_port}",
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class EchoHandler(BaseHTTPRequestHandler):
    """Answers every request with what it received, and CORS headers of its own (as a Django
    service with django-cors-headers would), so the test sees both directions pass through."""

    server: EchoServer

    def _answer(self) -> None:
        body = json.dumps(
            {
                "upstream": self.server.name,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")
            if self.command == "OPTIONS":
                self.send_header("Access-Control-Allow-Headers", "authorization, use-jwt-cookie")
                self.send_header("Access-Control-Allow-Methods", "GET, OPTIONS")
        self.send_header("X-Upstream", self.server.name)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_OPTIONS = do_HEAD = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads the answers, not a log."""


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.name = name

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def echo_server(name: str) -> Iterator[EchoServer]:
    server = EchoServer(name)
    thread = threading.Thread(target=server.serve_forever, name=f"echo-{name}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
