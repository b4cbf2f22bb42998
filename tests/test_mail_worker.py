"""Exactly once under failure: a real ``db_worker`` process, SIGKILLed in the middle of a
batch and restarted, against a scratch database and an SMTP sink on loopback."""

import signal

from distribution import worker_harness as harness

SUBSCRIBERS = 60
SINK_PORT = 8026


def test_worker_killed_mid_batch_and_restarted_sends_every_email_exactly_once():
    with harness.scratch_database("killtest") as url:
        issue = harness.call(url, "populate", subscribers=SUBSCRIBERS)
        assert issue["expected"] == SUBSCRIBERS
        settings_env = {"DELIVERY_LEASE_SECONDS": 2, "DELIVERY_BATCH": 10}
        # The sink holds the 21st message unanswered: the kill lands mid-batch, with rows
        # claimed and that message not accepted by the server.
        with harness.SmtpSink(SINK_PORT, stall_after=20) as sink:
            worker = harness.start_worker(url, smtp_port=SINK_PORT, **settings_env)
            try:
                harness.call(url, "dispatch", bulletin=issue["bulletin"])
                assert harness.wait_until(sink.stalled.is_set, timeout=60), "worker never sent"
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                assert sink.total == 20
                counts = harness.call(url, "delivery_counts")
                assert counts.get("sent") == 20 and counts.get("sending", 0) >= 1
                sink.release()

                worker = harness.start_worker(url, smtp_port=SINK_PORT, **settings_env)
                done = harness.wait_until(lambda: sink.total >= SUBSCRIBERS, timeout=60)
                assert done, f"only {sink.total} of {SUBSCRIBERS} sent after the restart"
                assert harness.wait_until(
                    lambda: harness.call(url, "delivery_counts") == {"sent": SUBSCRIBERS},
                    timeout=20,
                    step=0.5,
                )
            finally:
                harness.stop_worker(worker)
        assert len(sink.received) == SUBSCRIBERS
        assert set(sink.received.values()) == {1}, "someone got two emails"
