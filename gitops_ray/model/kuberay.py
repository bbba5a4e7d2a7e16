"""The labels KubeRay puts on what it creates (its `utils` constants), used to find a cluster's Pods."""

from __future__ import annotations

RAY_CLUSTER_LABEL = "ray.io/cluster"  # utils.RayClusterLabelKey
NODE_TYPE_LABEL = "ray.io/node-type"  # utils.RayNodeTypeLabelKey: head or worker
GROUP_LABEL = "ray.io/group"  # utils.RayNodeGroupLabelKey
APP_NAME_LABEL = "app.kubernetes.io/name"  # utils.KubernetesApplicationNameLabelKey
HEAD_NODE_TYPE = "head"
WORKER_NODE_TYPE = "worker"
