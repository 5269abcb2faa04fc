"""Scale-out on loopback: two `kb serve` instances on one index folder behind
nginx, a new generation published mid-run, one instance killed; no reader
request may fail and every answer must be whole.

    python tests/benchmarks/scale_out.py [--corpus PATH/medquad.tar.gz]
        [--seconds 45] [--clients 16] [--workers 1] [--threads 8] [--kill term|crash]

Setup: Debian's nginx (installed with apt-get, through sudo when not root,
if /usr/sbin/nginx is missing, as `make test` installs chromium); the
cached MedQuAD knowledge base and index (common.py) hard-linked into a
temporary folder, so the mid-run build writes there and never into the
cache; two `kb serve --port 0 --workers N` on that one index folder; nginx
on a free 127.0.0.1 port running deploy/nginx-kb.conf as it is, but for
its `listen` port and the two upstream ports. Only loopback traffic.

Run: --clients threads, each with a keep-alive connection to nginx, send
http_load.py's request mix for --seconds, plus a probe query for a word
only the new article has. At a third of the run an article is added and
`kb index` publishes a new generation; at two thirds one instance is
stopped: with SIGTERM (`--kill term`, the default: what systemd sends on a
stop or restart; its workers drain) or its whole process group with SIGKILL
(`--kill crash`). nginx must retry on the other instance what the stopped
one did not answer (proxy_next_upstream). No proxy can retry an answer an
instance dies in the middle of sending, so a crash may cut the answers in
flight at that instant; the table counts them.

Reported: requests, failed requests (non-200, unreadable or incomplete
JSON, failed connection; the goal is 0), p50/p99 latency over the run and
in the 5 s after the kill, and when the new generation was seen: the first
probe answer with the new article, and probe answers after the publish that
still lacked it once both instances had answered with it.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import http_load  # noqa: E402

NGINX = Path("/usr/sbin/nginx")
SITE_CONF = common.ROOT / "deploy" / "nginx-kb.conf"
HOST = "127.0.0.1"
PROBE_WORD = "zyxquorumvale"
PROBE_ID = "scale-out-probe"
PROBE_PATH = "/api/search?" + urllib.parse.urlencode({"q": PROBE_WORD})
PROBE_EVERY = 10  # every tenth request of a client is the probe
AFTER_KILL_SECONDS = 5.0
SEARCH_KEYS = {"query", "total", "page", "per_page", "results"}


def ensure_nginx() -> None:
    if NGINX.exists():
        return
    print("Installing Debian's nginx for the scale-out benchmark...", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "nginx"], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def site_config(listen: int, upstreams: list[int]) -> str:
    """deploy/nginx-kb.conf with this run's ports, nothing else changed."""
    text = SITE_CONF.read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^(\s*)listen 80;", rf"\1listen {HOST}:{listen};", text)
    assert n == 1, "deploy/nginx-kb.conf: expected one `listen 80;`"
    ports = iter(upstreams)
    text, n = re.subn(r"server 127\.0\.0\.1:\d+", lambda m: f"server {HOST}:{next(ports)}", text)
    assert n == len(upstreams), "deploy/nginx-kb.conf: expected one server line per instance"
    return text


def start_nginx(prefix: Path, listen: int, upstreams: list[int]) -> subprocess.Popen:
    (prefix / "kb.conf").write_text(site_config(listen, upstreams), encoding="utf-8")
    temp = "\n".join(f"    {name}_temp_path {prefix / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(f"""
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    include {prefix / 'kb.conf'};
}}
""", encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                             "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"nginx did not start:\n{proc.stderr.read()}")
        try:
            socket.create_connection((HOST, listen), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("nginx did not start listening within 10 s")


@dataclass
class Log:
    """Every request: (start time, latency ms, failure or None, path)."""
    entries: list[tuple[float, float, str | None, str]] = field(default_factory=list)
    probes: list[tuple[float, bool]] = field(default_factory=list)  # (time, has the article)
    lock: threading.Lock = field(default_factory=threading.Lock)


def whole(path: str, status: int, body: bytes) -> tuple[str | None, object]:
    """None and the JSON when the answer is whole, else what is wrong."""
    if status != 200:
        return f"status {status}", None
    try:
        data = json.loads(body)
    except ValueError:
        return "unreadable JSON", None
    if path.startswith("/api/search") and not (isinstance(data, dict)
                                               and SEARCH_KEYS <= data.keys()
                                               and isinstance(data["results"], list)):
        return "incomplete search answer", None
    return None, data


def client(port: int, paths: list[str], until: float, log: Log) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    i = 0
    while time.monotonic() < until:
        path = PROBE_PATH if i % PROBE_EVERY == 0 else paths[i % len(paths)]
        i += 1
        started = time.monotonic()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            failure, data = whole(path, response.status, response.read())
        except (OSError, http.client.HTTPException) as exc:
            failure, data = f"connection: {type(exc).__name__}", None
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
        elapsed = (time.monotonic() - started) * 1000
        with log.lock:
            log.entries.append((started, elapsed, failure, path))
            if path == PROBE_PATH and failure is None:
                log.probes.append((started, any(r.get("article", {}).get("id") == PROBE_ID
                                                for r in data["results"])))
    conn.close()


def link_tree(source: Path, target: Path) -> None:
    """Hard links to the cached files (generations and articles are never
    changed in place), so file stamps match and nothing is copied."""
    shutil.copytree(source, target, copy_function=os.link)


def add_probe_article(kb_dir: Path) -> None:
    from kb.article import Article, Section
    from kb.store import write_article

    write_article(Article(PROBE_ID, "Scale-out probe",
                          (Section("fact", number=1, heading="A probe word",
                                   text=f"The word {PROBE_WORD} is in this article only."),)),
                  kb_dir)


def main() -> int:
    def extra(parser):
        parser.add_argument("--seconds", type=float, default=45.0)
        parser.add_argument("--clients", type=int, default=16)
        parser.add_argument("--workers", type=int, default=1,
                            help="worker processes of each kb serve instance (default 1)")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--kill", choices=("term", "crash"), default="term",
                            help="stop one instance with SIGTERM (default) or SIGKILL")
    args = common.arguments(__doc__, extra)
    ensure_nginx()
    corpus = common.corpus(args.corpus)
    docs = common.load_docs(corpus.kb_dir)
    sets = common.query_sets(docs, http_load.QUERIES)
    mixes = [http_load.request_mix(sets["short"][1], sets["long"][1],
                                   http_load.REQUESTS_PER_CLIENT, n) for n in range(args.clients)]
    work = Path(tempfile.mkdtemp(prefix="kb-scale-out-", dir=common.CACHE_ROOT))
    instances: list[subprocess.Popen] = []
    nginx = None
    try:
        kb_dir, index_dir = work / "kb", work / "index"
        link_tree(corpus.kb_dir, kb_dir)
        link_tree(corpus.index_dir, index_dir)
        ports = []
        for _ in range(2):
            proc, port = http_load.start(
                [common.KB, "serve", "--host", HOST, "--port", "0", "--workers", args.workers,
                 "--threads", args.threads, "--kb-dir", kb_dir, "--index-dir", index_dir],
                start_new_session=True)  # its own process group, killed whole
            instances.append(proc)
            ports.append(port)
        (work / "nginx").mkdir()
        listen = free_port()
        nginx = start_nginx(work / "nginx", listen, ports)
        print(f"MedQuAD: {len(docs)} passages; 2 kb serve instances (ports {ports}, "
              f"{args.workers} worker(s) of {args.threads} threads each) behind nginx on "
              f"{HOST}:{listen}; {args.clients} clients for {args.seconds:.0f} s; "
              f"{common.load_average()}", flush=True)

        log = Log()
        began = time.monotonic()
        until = began + args.seconds
        threads = [threading.Thread(target=client, args=(listen, mixes[n], until, log))
                   for n in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 3)
        add_probe_article(kb_dir)
        publish_started = time.monotonic()
        build = subprocess.run([common.KB, "index", "--kb-dir", kb_dir, "--index-dir", index_dir],
                               capture_output=True, text=True)
        published = time.monotonic()
        print(f"  t={publish_started - began:.1f} s: kb index published a new generation in "
              f"{published - publish_started:.1f} s: {build.stdout.strip() or build.stderr.strip()}",
              flush=True)
        time.sleep(max(0.0, began + 2 * args.seconds / 3 - time.monotonic()))
        killed_at = time.monotonic()
        if args.kill == "crash":
            os.killpg(instances[0].pid, signal.SIGKILL)
            how = "SIGKILL to its process group"
        else:
            instances[0].terminate()
            how = "SIGTERM"
        instances[0].wait()
        print(f"  t={killed_at - began:.1f} s: stopped the instance on port {ports[0]} "
              f"({how}; gone {time.monotonic() - killed_at:.1f} s later)", flush=True)
        for t in threads:
            t.join()
    finally:
        for proc in instances:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)

    latencies = [ms for _, ms, _, _ in log.entries]
    failures = [(t - began, f, p) for t, _, f, p in log.entries if f is not None]
    after_kill = [ms for t, ms, _, _ in log.entries
                  if killed_at <= t < killed_at + AFTER_KILL_SECONDS]
    seen = [t for t, has in log.probes if has]
    first_seen = min(seen) - publish_started if seen else None
    # Once both instances answered with the article... a later probe
    # without it would be a worker still on the old generation.
    stale_after = [t for t, has in log.probes if t > published + 1.0 and not has]
    print(f"{'requests':>10}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'p99 ms 5 s after stop':>23}{'req/s':>8}")
    print(f"{len(latencies):>10}{len(failures):>8}{common.percentile(latencies, 50):>9.1f}"
          f"{common.percentile(latencies, 99):>9.1f}"
          f"{common.percentile(after_kill, 99) if after_kill else float('nan'):>23.1f}"
          f"{len(latencies) / args.seconds:>8.1f}")
    for t, failure, path in failures[:10]:
        print(f"  failed at t={t:.1f} s: {failure}: {path}")
    print(f"new generation: first answer with the new article "
          f"{'never' if first_seen is None else f'{first_seen:.1f} s after kb index began'}; "
          f"probe answers without it from 1 s after the publish: {len(stale_after)} "
          f"of {sum(1 for t, _ in log.probes if t > published + 1.0)}")
    ok = not failures and first_seen is not None and not stale_after
    print(f"goal: 0 failed reader requests, every answer whole, the new generation "
          f"served by every instance: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
