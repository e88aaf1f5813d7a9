"""The load benchmark of docs/sizing.md: the whole stack on this machine, a burst of SMS across
many schools from "Diffuser" to "délivré" visible in reporting, and the figures that say where the
time and the resources go (`python -m bench --help`)."""
