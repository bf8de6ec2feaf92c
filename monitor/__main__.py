"""`python -m monitor` is the same as the `monitor` command."""

from monitor.launch import main

main()
