#!/usr/bin/env python3
"""Runs the Singer tap `tap-quickbooks` 2.5.0 against a loopback QuickBooks Online (the qbsync
sandbox) and prints how fast it reads.

The tap has no base-URL option: its API hosts and token URL are module constants in
`tap_quickbooks.client` (PROD_ENDPOINT_BASE, SANDBOX_ENDPOINT_BASE, TOKEN_REFRESH_URL). This
wrapper points them at the sandbox, builds the tap's config and a catalog that selects exactly the
requested streams, and runs the tap's own `do_sync` in this process. Its Singer messages are
serialised as usual and written to /dev/null (or --output); they are counted on the way.

Output, one line per measured run on stdout (everything else goes to stderr):

    peer: mode=separate stream=customers records=3000 distinct_ids=3000 seconds=1.437 rows_per_sec=2088.3 cpu_seconds=1.401 requests=5 bytes=2497867
    peer: mode=separate stream=all records=9000 ... (sums of the separate runs)
    peer: mode=combined stream=all records=9000 ... customers=3000 items=1200 invoices=4800

seconds is wall time from building the tap's client to the end of its sync (token refresh, every
/batch call, transform and serialisation of every record); cpu_seconds is this process's CPU time
over the same span (a steadier figure on a busy machine: the tap is CPU-bound). requests counts
HTTP requests (token + batch). distinct_ids counts distinct Id values among the records.

mode=separate runs the tap once per stream (so each stream gets its own rate); mode=combined runs
it once with all streams selected, which is how the tap is normally used: it then puts one query
per stream into each /batch call.

Usage (sandbox started with `qbsync-agent sandbox --bind 127.0.0.1:8899 --customers 3000`):

    python bench/peer/run_tap.py --base-url http://127.0.0.1:8899
"""

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.parse

# requests-oauthlib refuses plain http unless told otherwise; the sandbox is http on loopback.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import singer  # noqa: E402
import singer.messages  # noqa: E402
from singer import metadata as singer_metadata  # noqa: E402

import tap_quickbooks.client as tap_client  # noqa: E402
from tap_quickbooks.discover import do_discover  # noqa: E402
from tap_quickbooks.sync import do_sync  # noqa: E402

DEFAULT_STREAMS = "customers,items,invoices"


def env(name, default=None):
    v = os.environ.get(name)
    return v if v else default


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default=env("QBO_BASE_URL"),
                   help="sandbox root, e.g. http://127.0.0.1:8899 (env QBO_BASE_URL); "
                        "an api_base ending in /v3 is accepted too")
    p.add_argument("--api-base", default=env("QBO_API_BASE"),
                   help="the sandbox's api_base (http://HOST:PORT/v3); used when --base-url is not given (env QBO_API_BASE)")
    p.add_argument("--token-url", default=env("QBO_TOKEN_URL"),
                   help="token endpoint; default {base}/oauth2/v1/tokens/bearer (env QBO_TOKEN_URL)")
    p.add_argument("--realm-id", default=env("QBO_REALM_ID", "9130350000000001"))
    p.add_argument("--client-id", default=env("QBO_CLIENT_ID", "sandbox-client"))
    p.add_argument("--client-secret", default=env("QBO_CLIENT_SECRET", "sandbox-secret"))
    p.add_argument("--refresh-token", default=env("QBO_REFRESH_TOKEN", "sandbox-refresh-0"))
    p.add_argument("--streams", default=env("PEER_STREAMS", DEFAULT_STREAMS),
                   help="comma-separated tap stream ids (default %(default)s)")
    p.add_argument("--mode", choices=["separate", "combined", "both"], default=env("PEER_MODE", "both"),
                   help="separate: one tap run per stream; combined: one run with all streams; both (default)")
    p.add_argument("--start-date", default="2000-01-01T00:00:00Z",
                   help="tap config start_date: the lower bound of its LastUpdatedTime filter")
    p.add_argument("--max-results", default="1000", help="tap config max_results (page size; QBO allows 1..1000)")
    p.add_argument("--output", default=os.devnull,
                   help="where the tap's Singer messages go (default /dev/null)")
    p.add_argument("--log-queries", action="store_true",
                   help="print every HTTP request the tap makes (method, path, batch queries) to stderr")
    p.add_argument("--quiet", action="store_true", help="tap logging at WARNING instead of INFO")
    p.add_argument("--no-retry", action="store_true",
                   help="drop the tap's backoff (3 tries, 60 s apart, on any 4xx/5xx) so a failure surfaces at once")
    p.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    a = p.parse_args(argv)

    base = a.base_url or a.api_base or "http://127.0.0.1:8899"
    base = base.rstrip("/")
    if base.endswith("/v3"):
        base = base[: -len("/v3")]
    a.base = base
    a.token_url = a.token_url or base + "/oauth2/v1/tokens/bearer"
    a.stream_list = [s.strip() for s in a.streams.split(",") if s.strip()]
    return a


def point_tap_at(base, token_url):
    """The tap reads PROD/SANDBOX_ENDPOINT_BASE on every request (`full_url = BASE + endpoint`,
    endpoint starting with /v3/company/{realm_id}/...), and TOKEN_REFRESH_URL when it builds its
    OAuth2Session (QuickbooksClient.__init__), so patching the module is enough if done first."""
    tap_client.PROD_ENDPOINT_BASE = base
    tap_client.SANDBOX_ENDPOINT_BASE = base
    tap_client.TOKEN_REFRESH_URL = token_url


class Counter:
    """Counts Singer RECORD messages per stream while the tap's own write_message serialises
    and writes them."""

    def __init__(self):
        self.records = {}
        self.ids = {}
        self.bytes = 0
        self.other = 0

    def install(self, out):
        original = singer.messages.write_message
        counter = self

        def write_message(message, ensure_ascii=True):
            if isinstance(message, singer.messages.RecordMessage):
                s = message.stream
                counter.records[s] = counter.records.get(s, 0) + 1
                rid = message.record.get("Id") if isinstance(message.record, dict) else None
                counter.ids.setdefault(s, set()).add(rid)
            else:
                counter.other += 1
            line = singer.messages.format_message(message, ensure_ascii=ensure_ascii) + "\n"
            counter.bytes += len(line)
            out.write(line)
            out.flush()

        singer.messages.write_message = write_message
        return original


class RequestLog:
    """Wraps the tap's requests session to count (and optionally print) what goes on the wire."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.count = 0
        self.by_kind = {}
        self.queries = []

    def wrap(self, session):
        inner = session.request
        log = self

        def request(method, url, *args, **kwargs):
            path = urllib.parse.urlsplit(url).path
            kind = "token" if path.endswith("/tokens/bearer") else path.rsplit("/", 1)[-1]
            log.count += 1
            log.by_kind[kind] = log.by_kind.get(kind, 0) + 1
            data = kwargs.get("data")
            if kind == "batch" and isinstance(data, str):
                try:
                    qs = [i.get("Query") for i in json.loads(data).get("BatchItemRequest", [])]
                except ValueError:
                    qs = []
                log.queries.extend(qs)
                if log.verbose:
                    for q in qs:
                        print(f"peer-request: {method} {path} query: {q}", file=sys.stderr)
            elif log.verbose and kind == "token":
                hdrs = kwargs.get("headers") or {}
                form = sorted(data) if isinstance(data, dict) else data
                basic = "Basic" if str(hdrs.get("Authorization", "")).startswith("Basic ") else "none"
                print(f"peer-request: {method} {url} form fields {form}, Authorization header: {basic}",
                      file=sys.stderr)
            elif log.verbose:
                print(f"peer-request: {method} {url}", file=sys.stderr)
            started = time.perf_counter()
            resp = inner(method, url, *args, **kwargs)
            if log.verbose:
                ms = (time.perf_counter() - started) * 1000
                print(f"peer-response: {resp.status_code} {len(resp.content)} bytes {ms:.1f} ms", file=sys.stderr)
            if resp.status_code != 200:
                print(f"peer-error: {method} {url} -> {resp.status_code} {resp.text[:2000]}", file=sys.stderr)
            return resp

        session.request = request


def build_catalog(streams):
    catalog = do_discover()
    known = {s.tap_stream_id for s in catalog.streams}
    unknown = [s for s in streams if s not in known]
    if unknown:
        raise SystemExit(f"unknown stream(s) {unknown}; the tap has {sorted(known)}")
    for entry in catalog.streams:
        mdata = singer_metadata.to_map(entry.metadata)
        mdata = singer_metadata.write(mdata, (), "selected", entry.tap_stream_id in streams)
        entry.metadata = singer_metadata.to_list(mdata)
    return catalog


def run_once(args, streams, state_holder):
    """One tap sync of `streams`; returns the measurement."""
    with tempfile.TemporaryDirectory(prefix="peer-tap-") as workdir:
        return _run_in(args, streams, state_holder, workdir)


def _run_in(args, streams, state_holder, workdir):
    config = {
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "refresh_token": state_holder["refresh_token"],
        "realm_id": args.realm_id,
        "start_date": args.start_date,
        "user_agent": "qbsync-bench-peer (tap-quickbooks 2.5.0)",
        "max_results": args.max_results,
        "sandbox": "false",
    }
    config_path = os.path.join(workdir, "config.json")
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f)

    catalog = build_catalog(streams)
    counter = Counter()
    reqlog = RequestLog(args.log_queries)
    out = open(args.output, "a" if args.output != os.devnull else "w", encoding="utf-8")
    original_write = counter.install(out)
    saved_stdout = sys.stdout
    sys.stdout = out  # anything else the tap prints goes with its messages
    try:
        started = time.perf_counter()
        cpu_started = time.process_time()
        client = tap_client.QuickbooksClient(config_path, config)
        reqlog.wrap(client.session)
        do_sync(client, config, {}, catalog)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    finally:
        sys.stdout = saved_stdout
        singer.messages.write_message = original_write
        out.close()

    # The tap writes a refreshed (possibly rotated) refresh token back to its config file.
    with open(config_path, encoding="utf-8") as f:
        state_holder["refresh_token"] = json.load(f).get("refresh_token", state_holder["refresh_token"])

    records = sum(counter.records.values())
    return {
        "streams": streams,
        "records": records,
        "per_stream": {s: counter.records.get(s, 0) for s in streams},
        "distinct_ids": {s: len(counter.ids.get(s, ())) for s in streams},
        "seconds": seconds,
        "rows_per_sec": records / seconds if seconds > 0 else 0.0,
        "cpu_seconds": cpu_seconds,
        "requests": reqlog.count,
        "requests_by_kind": reqlog.by_kind,
        "bytes": counter.bytes,
        "queries": reqlog.queries,
    }


def line(mode, stream, records, distinct, seconds, cpu, requests, nbytes, extra=""):
    rps = records / seconds if seconds > 0 else 0.0
    return (f"peer: mode={mode} stream={stream} records={records} distinct_ids={distinct} "
            f"seconds={seconds:.3f} rows_per_sec={rps:.1f} cpu_seconds={cpu:.3f} requests={requests} "
            f"bytes={nbytes}{extra}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.quiet:
        singer.get_logger().setLevel("WARNING")
    point_tap_at(args.base, args.token_url)
    if args.no_retry:
        # _make_request = backoff(Timeout)(backoff(4xx/5xx)(ratelimit(f))): keep the ratelimit only.
        tap_client.QuickbooksClient._make_request = tap_client.QuickbooksClient._make_request.__wrapped__.__wrapped__
    print(f"peer: tap-quickbooks 2.5.0 api_base={args.base} token_url={args.token_url} "
          f"realm={args.realm_id} streams={','.join(args.stream_list)} mode={args.mode}", file=sys.stderr)

    state_holder = {"refresh_token": args.refresh_token}
    results = {"separate": [], "combined": None}
    if args.mode in ("separate", "both"):
        for s in args.stream_list:
            r = run_once(args, [s], state_holder)
            results["separate"].append(r)
            print(line("separate", s, r["records"], r["distinct_ids"][s], r["seconds"], r["cpu_seconds"],
                       r["requests"], r["bytes"]),
                  flush=True)
        tot_rec = sum(r["records"] for r in results["separate"])
        tot_sec = sum(r["seconds"] for r in results["separate"])
        tot_cpu = sum(r["cpu_seconds"] for r in results["separate"])
        tot_req = sum(r["requests"] for r in results["separate"])
        tot_bytes = sum(r["bytes"] for r in results["separate"])
        tot_ids = sum(sum(r["distinct_ids"].values()) for r in results["separate"])
        print(line("separate", "all", tot_rec, tot_ids, tot_sec, tot_cpu, tot_req, tot_bytes), flush=True)
    if args.mode in ("combined", "both"):
        r = run_once(args, args.stream_list, state_holder)
        results["combined"] = r
        per = "".join(f" {s}={r['per_stream'][s]}" for s in args.stream_list)
        print(line("combined", "all", r["records"], sum(r["distinct_ids"].values()), r["seconds"],
                   r["cpu_seconds"], r["requests"], r["bytes"], per), flush=True)
    if args.log_queries:
        seen = []
        for r in results["separate"] + ([results["combined"]] if results["combined"] else []):
            for q in r["queries"]:
                if q not in seen:
                    seen.append(q)
        for q in seen:
            print(f"peer-query: {q}", file=sys.stderr)
    if args.json:
        for r in results["separate"] + ([results["combined"]] if results["combined"] else []):
            r.pop("queries", None)
        print("peer-json: " + json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
