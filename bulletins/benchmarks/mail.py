"""The daily email to 10,000 confirmed subscribers (a third following 1–5 entities instead of
taking the whole issue), sent by a real ``db_worker`` process to an SMTP sink on loopback.

Figures: time from the issue's dispatch to the last message accepted by the sink, emails per
second, and the worker's peak resident memory (VmHWM). Targets: < 2 minutes, < 200 MB.
Runs on a scratch database (a temporary SQLite file, or a throwaway PostgreSQL database
beside the configured one): the configured database is not touched.
"""

import time

from distribution import worker_harness as harness

SINK_PORT = 8025
# SMTP connections the worker sends on at once (production's default, MAIL_CONNECTIONS).
CONNECTIONS = 4


def run(*, out, quick=False):
    subscribers = 1_000 if quick else 10_000
    with harness.scratch_database("benchmail") as url:
        out.write(f"  generating {subscribers} subscribers…\n")
        issue = harness.call(
            url, "populate", subscribers=subscribers, followers_share=1 / 3, items=20
        )
        expected = issue["expected"]
        with harness.SmtpSink(SINK_PORT) as sink:
            worker = harness.start_worker(url, smtp_port=SINK_PORT, MAIL_CONNECTIONS=CONNECTIONS)
            try:
                time.sleep(1.5)  # the worker is up and idle, as in production
                started = time.perf_counter()
                harness.call(url, "dispatch", bulletin=issue["bulletin"])
                last_report = started
                while sink.total < expected:
                    if worker.poll() is not None:
                        raise RuntimeError(f"the worker died: {worker.stderr.read()[-2000:]}")
                    if time.perf_counter() - started > 600:
                        raise RuntimeError(f"only {sink.total} of {expected} after 10 minutes")
                    if time.perf_counter() - last_report > 10:
                        out.write(f"  {sink.total}/{expected} sent…\n")
                        last_report = time.perf_counter()
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                peak = harness.peak_rss_mb(worker.pid)
            finally:
                harness.stop_worker(worker)
        counts = harness.call(url, "delivery_counts")
        duplicates = sum(n - 1 for n in sink.received.values() if n > 1)
    return {
        "subscribers": subscribers,
        "emails sent (one per subscriber with matching items)": expected,
        "delivery rows": counts,
        "duplicates at the sink": duplicates,
        "time to send all (s)": f"{elapsed:.1f}",
        "emails per second": f"{expected / elapsed:.0f}",
        "worker peak memory (MB)": f"{peak:.0f}",
        "SMTP connections": CONNECTIONS,
    }
