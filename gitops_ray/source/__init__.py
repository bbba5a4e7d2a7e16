"""Source: from a tree of YAML files to the desired state (load, repo config, units, render each
RayCluster). Pure apart from reading the tree.
"""
