"""One module per protocol endpoint; each body lists the protocol's steps in order."""
