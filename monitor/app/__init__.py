"""The programs around the API: the command line, its output, the launcher, the daemon
and the distributed worker. Nothing under `monitor/` outside this package imports it."""
