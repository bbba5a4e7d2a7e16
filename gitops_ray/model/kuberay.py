"""The labels and annotations KubeRay puts on what it creates (its `utils` constants), in one place for
rendering them and for finding a cluster's Pods again."""

from __future__ import annotations

# Labels (KubeRay's labelPod and the Services' selectors).
RAY_CLUSTER_LABEL = "ray.io/cluster"  # utils.RayClusterLabelKey
NODE_TYPE_LABEL = "ray.io/node-type"  # utils.RayNodeTypeLabelKey: head or worker
GROUP_LABEL = "ray.io/group"  # utils.RayNodeGroupLabelKey
IS_RAY_NODE_LABEL = "ray.io/is-ray-node"
IDENTIFIER_LABEL = "ray.io/identifier"
APP_NAME_LABEL = "app.kubernetes.io/name"  # utils.KubernetesApplicationNameLabelKey
CREATED_BY_LABEL = "app.kubernetes.io/created-by"
SERVE_LABEL = "ray.io/serve"
REPLICA_INDEX_LABEL = "ray.io/worker-group-replica-index"
REPLICA_NAME_LABEL = "ray.io/worker-group-replica-name"
HOST_INDEX_LABEL = "ray.io/replica-host-index"
HEAD_NODE_TYPE = "head"
WORKER_NODE_TYPE = "worker"
APP_NAME = "kuberay"  # the default value of APP_NAME_LABEL

# Annotations.
OVERWRITE_CMD_ANNOTATION = "ray.io/overwrite-container-cmd"
FT_ENABLED_ANNOTATION = "ray.io/ft-enabled"
EXTERNAL_STORAGE_NS_ANNOTATION = "ray.io/external-storage-namespace"
RECREATE_HASH_ANNOTATION = "ray.io/upgrade-strategy-recreate-hash"
KUBERAY_VERSION_ANNOTATION = "ray.io/kuberay-version"
