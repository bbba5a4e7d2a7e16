"""The imperative shell: the Kubernetes API, Git, and the cycle that wires the pure stages to them. The only
package (besides app and cli) that does I/O.
"""
