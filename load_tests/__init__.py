"""Load tests of the live CAT server: rehearse a test day before it happens.

``python -m load_tests SCENARIO`` starts (or targets) a server on loopback, drives simulated examinees through the
battery over the candidate WebSocket, with proctors watching each room, and writes a report: latency, throughput,
errors, answers lost or duplicated (checked against the server's audit log), accuracy of the final abilities
against the truth and against ``cat-sim``, server CPU per answer and Redis memory per session, each also measured
against a minimal WebSocket echo floor in the same run. See ``docs/load-testing.md``.

Modules, one concern each:

* :mod:`.messages` - the command-line text, Bahasa Indonesia (default) and English
* :mod:`.examinee` - a simulated examinee: true theta, IRT responses, think times
* :mod:`.operator` - one simulated person answering for several seats, one answer at a time (the integrity check)
* :mod:`.stats` - percentiles and rates
* :mod:`.recorder` - what a run measures while it runs
* :mod:`.target` - loopback-only addresses, and the admin HTTP API client
* :mod:`.candidate` - the candidate WebSocket client (exactly-once resends, reconnects, pacing)
* :mod:`.proctor` - the proctor WebSocket client (counts events, resumes after a drop)
* :mod:`.procs` - private redis-server, server and floor processes; CPU and memory of process trees
* :mod:`.cluster` - a private Redis Cluster (3 masters, 3 replicas): hash slots, kill, failover, restart
* :mod:`.redisdata` - what a run's Redis or Redis Cluster holds: used memory, ``MEMORY USAGE`` per session, deletes
* :mod:`.nginx` - a private nginx with the shipped site (deploy/nginx) in front of given server ports
* :mod:`.prometheus` - a private Prometheus with the shipped scrape config and rules (deploy/prometheus)
* :mod:`.floor` - the echo floor app
* :mod:`.scenarios` - rollout, peak, storm, restart, soak, failover
* :mod:`.deployment` - the servers of a run (started here, or a target) and the rooms and rosters
* :mod:`.phase` - one load phase: arrivals, proctors, meters, progress
* :mod:`.disruptions` - network drops, the reconnect storm, killed and restarted servers, a cluster failover
* :mod:`.runner` - one run from start to report, the floor run included
* :mod:`.verify` - lost and duplicated answers, accuracy, the cat-sim reference
* :mod:`.report` - report.json and the readable summary
* :mod:`.plots` - PNG plots
* :mod:`.cli` - ``python -m load_tests``
"""
