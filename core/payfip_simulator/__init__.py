"""The local stand-in for PayFiP (its own app: operations table, SOAP endpoint, payment pages).

It knows nothing of the domain: it answers whatever numcli, refdet and amounts it is sent, like
PayFiP. `core.payfip` (the client) reaches it over HTTP only."""
