"""The network parts the engine drives: netavark documents and calls, network
namespaces, IPAM, port publishing, network records and the per-daemon defaults. No
iptables or DNS of its own: netavark and aardvark-dns do that.
"""
