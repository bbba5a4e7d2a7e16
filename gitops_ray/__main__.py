"""`python -m gitops_ray` is `gitops-ray`."""

import sys

from gitops_ray.cli import main

sys.exit(main())
