"""The root of every error gitops-ray raises on purpose; each stage subclasses it by cause.

Render (`render.errors.RenderError`), source configuration (`source.config.ConfigError`), inventories
(`reconcile.inventory.InventoryError`), the Kubernetes API (`edge.kube.errors.KubeError` and its
subclasses by HTTP status), Git (`edge.git.errors.GitSourceError`) and settings
(`app.settings.SettingsError`). Code that must survive any of them catches `GitopsRayError`, never a bare
`ValueError` or `Exception`: a programming error should still surface as one.
"""

from __future__ import annotations


class GitopsRayError(Exception):
    """Something gitops-ray can name for its user: bad input, an unreachable service, a refused request."""
