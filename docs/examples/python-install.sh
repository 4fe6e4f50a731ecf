# docs/clients.md, "Python client": install the package into a venv and run its quickstart example, against
# `go run ./cmd/bosa-gateway --sandbox`.
python3 -m venv .venv && . .venv/bin/activate
pip install ./clients/python
python clients/python/examples/quickstart.py 127.0.0.1:50051
