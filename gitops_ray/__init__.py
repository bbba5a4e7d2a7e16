"""gitops-ray: RayClusters from Git, rendered as KubeRay v1.7.0 would, applied with server-side apply."""

__version__ = "0.1.0"
