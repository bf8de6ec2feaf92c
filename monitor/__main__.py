"""`python -m monitor` is the same as the `monitor` command."""

from monitor.app.launch import main

main()
