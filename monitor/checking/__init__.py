"""Checking URLs over the network, with no database.

observe      one URL: streaming, redirects, robots.txt, sibling probe, error classes
batch        one host's URLs: politeness, retries, the verdict and its evidence
hosts        many hosts in one process
fanout       a run's hosts over processes of one machine
standby      the checking child started before the command line is imported
runner       the result sink every run loop uses; the outage rule
http         the one place HTTP clients are built
aiotransport aiohttp under httpx's API, guarded
netguard     the private-network guard
pageread     what a fetched page says about itself (title fields, text, refresh)
"""
