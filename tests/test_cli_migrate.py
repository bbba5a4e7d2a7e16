"""`gitops-ray migrate FILE...` as users run it: real files, a real process, the KubeRay YAML it prints
rendered by `gitops-ray render`. `scripts/update-golden` rewrites the committed converted example."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gitops_ray.report.migration import commented_yaml
from gitops_ray.report.yamltext import dump_yaml
from gitops_ray.source.legacy import Note
from gitops_ray.source.load import parse_documents

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "docs/examples/legacy-example_cluster.yaml"
CONVERTED = ROOT / "docs" / "examples" / "legacy-example_cluster.kuberay.yaml"
UPDATE = os.environ.get("GITOPS_RAY_UPDATE_GOLDEN") == "1"
LEGACY = """\
apiVersion: cluster.ray.io/v1
kind: RayCluster
metadata: {name: small}
spec:
  maxWorkers: 2
  headPodType: head
  podTypes:
  - name: head
    podConfig: {spec: {containers: [{name: ray-node, image: "rayproject/ray:2.9.0"}]}}
  - name: workers
    podConfig: {spec: {containers: [{name: ray-node, image: "rayproject/ray:2.9.0"}]}}
"""
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: scripts}\ndata: {run.sh: echo hi}\n"
KUBERAY = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: new}\nspec: {}\n"
SMALL_WARNINGS = (
    "warning: {file}: document {document} (RayCluster small): metadata.name: the head Service is now "
    "small-head-svc (KubeRay's name), not small-ray-head: update its clients\n"
)


def gitops_ray(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitops_ray", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_legacy_example_converts_to_the_committed_kuberay_file_with_its_warnings() -> None:
    result = gitops_ray("migrate", EXAMPLE)
    assert result.returncode == 0
    if UPDATE:
        CONVERTED.write_text(result.stdout)
    assert result.stdout == CONVERTED.read_text(), f"{CONVERTED} is stale: run scripts/update-golden"
    where = f"warning: {EXAMPLE}: document 0 (RayCluster ray/example-cluster): "
    assert result.stderr == (
        f"{where}spec.podTypes[2].setupCommands: not mapped: KubeRay runs no setup commands; bake them into "
        "the image, or put them in the Ray container's args, which KubeRay runs before `ray start` "
        "(docs/kuberay-rendering.md)\n"
        f"{where}metadata.name: the head Service is now example-cluster-head-svc (KubeRay's name), not "
        "example-cluster-ray-head: update its clients\n"
        f"{where}spec.maxWorkers: KubeRay has no cluster-wide worker limit: the groups may grow to 8 workers "
        "in all, not 5; lower their maxReplicas\n"
        "1 legacy RayClusters converted, 0 other documents passed through, 3 warnings, 0 errors\n"
    )


def test_the_converted_example_renders_with_gitops_ray_render(tmp_path: Path) -> None:
    (tmp_path / "clusters" / "ray").mkdir(parents=True)
    (tmp_path / "clusters" / "ray" / "example-cluster.yaml").write_text(CONVERTED.read_text())
    (tmp_path / "gitops-ray.yaml").write_text("path: clusters\n")
    result = gitops_ray("render", "--no-cache", str(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count("\nkind: Pod\n") == 2  # the head and minWorkers 1 of cpu-workers
    assert (
        "ray start  --address=example-cluster-head-svc.ray.svc.cluster.local:6379  --block  "
        "--dashboard-agent-listen-port=52365  --memory=4294967296  --metrics-export-port=8080  --num-cpus=2  "
        """--object-store-memory=1000000000  --resources=''{"example-resource-a":1,"is_spot":1}'' '"""
    ) in result.stdout


def test_the_output_without_its_comments_is_the_yaml_render_writes() -> None:
    text = CONVERTED.read_text()
    documents = parse_documents("converted.yaml", text.encode()).documents
    uncommented = "".join(line for line in text.splitlines(keepends=True) if not line.strip().startswith("#"))
    assert uncommented == "".join("---\n" + dump_yaml(document) for document in documents)


def test_several_files_make_one_stream_and_other_documents_pass_through_unchanged(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(f"{CONFIG_MAP}---\n{LEGACY}")
    (tmp_path / "b.yaml").write_text(KUBERAY)
    result = gitops_ray("migrate", "a.yaml", "b.yaml", cwd=tmp_path)
    assert result.returncode == 0
    documents = parse_documents("out.yaml", result.stdout.encode()).documents
    assert [(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("v1", "ConfigMap", "scripts"),
        ("ray.io/v1", "RayCluster", "small"),
        ("ray.io/v1", "RayCluster", "new"),
    ]
    assert documents[0] == parse_documents("a.yaml", CONFIG_MAP.encode()).documents[0]
    assert result.stdout.startswith(
        "---\n# migrate: passed through unchanged: not a cluster.ray.io RayCluster\napiVersion: v1\n"
    )
    assert result.stderr == SMALL_WARNINGS.format(file="a.yaml", document=1) + (
        "1 legacy RayClusters converted, 2 other documents passed through, 1 warnings, 0 errors\n"
    )


def test_the_output_is_byte_identical_across_runs() -> None:
    assert gitops_ray("migrate", EXAMPLE).stdout == gitops_ray("migrate", EXAMPLE).stdout


def test_an_unreadable_file_exits_1_naming_it_and_the_other_files_are_converted(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(LEGACY)
    result = gitops_ray("migrate", "missing.yaml", "good.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "\nkind: RayCluster\n" in result.stdout
    assert result.stderr == SMALL_WARNINGS.format(file="good.yaml", document=0) + (
        "error: missing.yaml: cannot read file: No such file or directory\n"
        "1 legacy RayClusters converted, 0 other documents passed through, 1 warnings, 1 errors\n"
    )


def test_invalid_yaml_exits_1_naming_the_file_and_document(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(f"{LEGACY}---\nkind: [unclosed\n")
    result = gitops_ray("migrate", "bad.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: bad.yaml: document 1: invalid YAML at line 14, column 1: expected ',' or ']', but got "
        "'<stream end>' (while parsing a flow sequence)\n"
        "0 legacy RayClusters converted, 0 other documents passed through, 0 warnings, 1 errors\n"
    )


def test_a_legacy_document_that_cannot_be_converted_exits_1_naming_file_document_object_and_field(
    tmp_path: Path,
) -> None:
    broken = LEGACY.replace("headPodType: head", "headPodType: gpu")
    (tmp_path / "two.yaml").write_text(f"{broken}---\n{LEGACY}")
    result = gitops_ray("migrate", "two.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.count("\nkind: RayCluster\n") == 1
    assert result.stderr == SMALL_WARNINGS.format(file="two.yaml", document=1) + (
        "error: two.yaml: document 0 (RayCluster small): spec.headPodType: must name one of spec.podTypes: "
        "['head', 'workers']\n"
        "1 legacy RayClusters converted, 0 other documents passed through, 1 warnings, 1 errors\n"
    )


def test_a_comment_goes_above_the_line_of_its_field_or_list_item() -> None:
    data = {"spec": {"groups": [{"name": "a", "size": 1}], "mode": "x"}}
    notes = [
        Note(("spec", "mode"), "chosen"),
        Note(("spec", "groups", 0), "first group"),
        Note(("spec", "groups", 0, "size"), "sized"),
    ]
    assert commented_yaml(data, ["header"], notes) == (
        "---\n"
        "# migrate: header\n"
        "spec:\n"
        "  groups:\n"
        "  # migrate: first group\n"
        "  - name: a\n"
        "    # migrate: sized\n"
        "    size: 1\n"
        "  # migrate: chosen\n"
        "  mode: x\n"
    )


def test_a_comment_on_a_field_not_written_goes_above_the_nearest_enclosing_one_or_the_top() -> None:
    notes = [Note(("spec", "gone"), "dropped"), Note(("status",), "dropped too")]
    assert commented_yaml({"spec": {"kept": 1}}, [], notes) == (
        "---\n# migrate: dropped too\n# migrate: dropped\nspec:\n  kept: 1\n"
    )
