"""One sync cycle over a DesiredState: read the cluster, plan, apply, prune, observe drift.

The imperative shell around the pure planner (`reconcile.plan`): it reads each inventory and LISTs each
(kind, namespace) once, lets the planner decide, then carries the plan out unit by unit. A unit's failure
(an invalid cluster, an API error, a missing permission) is recorded on that unit; the others proceed.
Order inside a unit keeps an interrupted cycle safe: the inventory parent is widened before anything is
applied and shrunk only after prune, so every object gitops-ray may have created stays known.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from gitops_ray.edge.fencing import Fenced
from gitops_ray.edge.kube import WRITE_THREADS, KubeError, gc_paused
from gitops_ray.edge.kube.counting import RequestCounter, since
from gitops_ray.edge.kube.protocol import ClusterApi
from gitops_ray.edge.status import now_text, write_status
from gitops_ray.model.objects import KubeObject, annotation, being_deleted, label, object_ref
from gitops_ray.model.ownership import (
    FIELD_MANAGER,
    GENERATED_SECRET_ANNOTATION,
    PART_OF_LABEL,
    SOURCE_ID_ANNOTATION,
    is_generated_secret,
    parent_name,
    unit_applyset_id,
)
from gitops_ray.model.refs import MemberRef
from gitops_ray.model.units import DesiredState, Problem, RenderedUnit, UnitKey
from gitops_ray.observe.drift import DETAILED_STATES, UnitDrift, unit_drift
from gitops_ray.observe.health import cluster_health
from gitops_ray.observe.outcome import SyncResult, UnitResult, healed_by
from gitops_ray.observe.status import observe_unit, read_status
from gitops_ray.reconcile.assess import Standing
from gitops_ray.reconcile.compact import Shared, compact_live
from gitops_ray.reconcile.inventory import Inventory, InventoryError, inventory_parent, parse_inventory
from gitops_ray.reconcile.plan import (
    APPLY_ACTIONS,
    WRITE_ACTIONS,
    Action,
    Counts,
    PlannedAction,
    UnitPlan,
    ordered_for_apply,
    ordered_for_prune,
    plan_state,
)
from gitops_ray.reconcile.stamp import APPLIED_HASH_ANNOTATION, StampMemo

Scope = tuple[str, str, str]  # (apiVersion, kind, namespace): one LIST each per cycle
LIST_THREADS = 4  # LISTs in flight at once; the connection pool holds WRITE_THREADS * 2

DELETE_WAIT_SECONDS = 20.0
MIN_DELETE_WAIT_SECONDS = 1.0  # a unit reached late in a long cycle still sees a quick delete through
DELETE_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class SyncOptions:
    """How a cycle behaves. `heal=False` only observes: drift is reported and nothing is written.
    `adopt`: take over clusters another source applied (`source_id`, when set, names this source instead
    of the state's own identity). `delete_wait`: seconds one cycle waits, in all,
    for deleted objects to go before creating them again; what is still terminating is created by a
    later cycle, so a Pod held by a finalizer never stalls the others."""

    dry_run: bool = False
    heal: bool = True
    allow_empty_prune: bool = False
    create_namespaces: bool = True
    field_manager: str = FIELD_MANAGER
    adopt: bool = False
    delete_wait: float = DELETE_WAIT_SECONDS
    source_id: str = ""  # replaces the state's own source identity (`--source-name`)
    revision: str = ""  # the Git revision applied, for each cluster's status


def _changes(plan: UnitPlan) -> tuple[PlannedAction, ...]:
    return tuple(a for a in plan.actions if a.action in WRITE_ACTIONS)


# --- reading the cluster ------------------------------------------------------------------------------


def _read_inventories(
    kube: ClusterApi, state: DesiredState
) -> tuple[dict[UnitKey, Inventory], dict[UnitKey, str], dict[UnitKey, KubeObject]]:
    """The inventories that concern this source: those of the units it declares and those it recorded,
    and their parents as read (for their status). Another source's inventories are not read further. An
    unreadable parent of ours makes its unit fail (never pruned on a guess)."""
    declared = {unit.key for unit in state.units}
    inventories: dict[UnitKey, Inventory] = {}
    broken: dict[UnitKey, str] = {}
    parents: dict[UnitKey, KubeObject] = {}
    for parent in kube.inventory_parents():
        _, _, namespace, name = object_ref(parent)
        key = UnitKey(namespace, name.removeprefix(parent_name("")))
        recorded_by = annotation(parent, SOURCE_ID_ANNOTATION)
        if key not in declared and recorded_by != state.source_id:
            continue
        parents[key] = parent
        try:
            inventory = parse_inventory(parent)
        except InventoryError as error:
            broken[key] = str(error)
            continue
        inventories[inventory.key] = inventory
    return inventories, broken, parents


def _scope(ref: MemberRef) -> Scope:
    return (ref.api_version, ref.kind, ref.namespace)


def _unit_scopes(unit: RenderedUnit | None, inventory: Inventory | None) -> set[Scope]:
    scopes = {_scope(ref) for ref in (unit.refs if unit and unit.ok else ())}
    scopes |= {_scope(ref) for ref in (inventory.members if inventory else ())}
    return scopes


class _Compactor:
    """Compacts live objects as they arrive (`reconcile.compact`) and remembers which were compacted, so
    those that turn out to need a field-by-field report are read again whole. A desired object whose
    applied-hash Git changed is kept whole (an update lists the fields it changes); the others listed with
    it (other clusters' Pods in the namespace, members no longer desired) are compacted. Off for cycles
    that write nothing (dry run, observe-only): they report every difference, so they keep objects whole."""

    def __init__(self, enabled: bool, expected: Mapping[MemberRef, str | None]) -> None:
        self.enabled = enabled
        self.expected = expected  # the applied-hash of each desired object
        self.compacted: set[MemberRef] = set()
        self.shared: Shared = {}

    def __call__(self, obj: KubeObject) -> KubeObject:
        if not self.enabled:
            return obj
        ref = MemberRef.from_object(obj)
        if ref in self.expected and annotation(obj, APPLIED_HASH_ANNOTATION) != self.expected[ref]:
            return obj
        compact = compact_live(obj, self.shared)
        if compact is not obj:
            self.compacted.add(ref)
        return compact


def _list_live(
    kube: ClusterApi, scopes: Iterable[Scope], compactor: _Compactor
) -> tuple[dict[MemberRef, KubeObject], dict[Scope, str]]:
    """One LIST per (kind, namespace), a few at a time: the API server prepares one while another is
    decoded here. A failed LIST is remembered so the units needing it stop."""

    def listed(scope: Scope) -> list[KubeObject] | str:
        api_version, kind, namespace = scope
        try:
            return kube.list_objects(api_version, kind, namespace or None, cached=True, shrink=compactor)
        except KubeError as error:
            return str(error)

    live: dict[MemberRef, KubeObject] = {}
    failed: dict[Scope, str] = {}
    ordered = sorted(scopes)
    with ThreadPoolExecutor(max_workers=LIST_THREADS) as pool:
        for scope, objects in zip(ordered, pool.map(listed, ordered), strict=True):
            if isinstance(objects, str):
                failed[scope] = objects
                continue
            for obj in objects:
                live[MemberRef.from_object(obj)] = obj
    return live, failed


def _ensure_namespaces(
    kube: ClusterApi, wanted: set[str], options: SyncOptions
) -> tuple[set[str], dict[str, str]]:
    """Create missing namespaces when allowed. Returns (namespaces still missing, errors by namespace)."""
    if not wanted:
        return set(), {}
    try:
        existing = {str(ns["metadata"]["name"]) for ns in kube.list_objects("v1", "Namespace", None)}
    except KubeError as error:
        return set(), dict.fromkeys(wanted, str(error))
    missing = wanted - existing
    errors: dict[str, str] = {}
    if not options.create_namespaces:
        return missing, {ns: f"namespace {ns} does not exist (namespace creation is off)" for ns in missing}
    if not options.heal:
        return missing, {}
    for name in sorted(missing):
        try:
            kube.apply(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, options.field_manager
            )
        except KubeError as error:
            errors[name] = str(error)
    return (missing if options.dry_run else set()), errors


# --- carrying out one unit's plan ---------------------------------------------------------------------


def _with_generated_value(secret: KubeObject) -> KubeObject:
    """The Secret with a fresh random token under the annotated key (the value is never logged)."""
    key = str(secret["metadata"]["annotations"][GENERATED_SECRET_ANNOTATION])
    token = base64.b64encode(secrets.token_urlsafe(32).encode()).decode()
    return {**secret, "data": {**(secret.get("data") or {}), key: token}}


class _UnitRun:
    """Executes one unit's plan, collecting errors instead of raising (one unit never stops another)."""

    def __init__(
        self,
        kube: ClusterApi,
        plan: UnitPlan,
        options: SyncOptions,
        skip_namespaces: set[str],
        delete_deadline: float,
        compactor: _Compactor,
    ) -> None:
        self.kube = kube
        self.compactor = compactor
        self.plan = plan
        self.options = options
        self.skip_namespaces = skip_namespaces  # dry run: namespaces that do not exist yet
        self.delete_deadline = delete_deadline  # monotonic: the cycle's shared wait for deletions
        self.errors: list[Problem] = []
        self.failed: set[MemberRef] = set()
        self.pending: dict[MemberRef, str] = {}
        self.pruned: set[MemberRef] = set()
        self.stored: dict[MemberRef, KubeObject | None] = {}  # live state after our writes
        self.seconds = 0.0  # wall time of `run`
        self.parent: KubeObject | None = None  # the inventory parent as last written
        self.parent_deleted = False

    def run(self) -> None:
        if not self._write_parent(self.plan.inventory, self.plan.parent_action):
            # Without a widened inventory nothing may be applied: every write of the unit failed.
            self.failed |= {planned.ref for planned in self.plan.actions if planned.action in WRITE_ACTIONS}
            return
        self._apply_all()
        self._prune_all()
        final = self.plan.final_inventory(self.pruned)
        if final is None:
            return
        if self.plan.retired and not final.members:
            self._delete_parent(final)
        elif final != self.plan.inventory:
            self._write_parent(final, Action.UPDATE)

    def timed_run(self) -> None:
        """`run`, timed: the unit's share of the cycle's duration (`UnitResult.duration`)."""
        started = time.monotonic()
        try:
            self.run()
        finally:
            self.seconds = time.monotonic() - started

    def _sends(self, ref: MemberRef) -> bool:
        return ref.namespace not in self.skip_namespaces

    def _fail(self, ref: MemberRef, error: KubeError) -> None:
        self.failed.add(ref)
        self.errors.append(Problem(self.plan.source, str(error)))

    def _inventory_failed(self, error: KubeError) -> None:
        self.errors.append(Problem(self.plan.source, f"inventory of {self.plan.key}: {error}"))

    def _write_parent(self, inventory: Inventory | None, action: Action) -> bool:
        if inventory is None or action not in APPLY_ACTIONS or not self._sends(inventory.parent_ref):
            return True
        try:
            self.parent = self.kube.apply(inventory_parent(inventory), self.options.field_manager)
        except KubeError as error:
            self._inventory_failed(error)
            return False
        return True

    def _delete_parent(self, inventory: Inventory) -> None:
        """A retired unit whose members are all gone: its parent goes too."""
        try:
            self.kube.delete(inventory_parent(inventory))
        except KubeError as error:
            self._inventory_failed(error)
            return
        self.parent_deleted = True

    def _apply_all(self) -> None:
        ordered = [a for a in ordered_for_apply(self.plan.actions) if self._sends(a.ref)]
        recreate = [a for a in ordered if a.action is Action.RECREATE]
        # All recreated objects go first (Pods are immutable); creation then follows apply order.
        gone = self._delete_for_recreate(recreate)
        for planned in ordered:
            if planned.action is Action.RECREATE and planned.ref not in gone:
                continue
            assert planned.desired is not None
            self._apply_one(planned, planned.desired)

    def _delete_for_recreate(self, recreate: list[PlannedAction]) -> set[MemberRef]:
        """Delete every object to recreate at once, then wait for them together, within the cycle's
        deadline. A dry run cannot create an object whose old self still exists: its recreate ends at the
        (dry) delete."""
        deleted: list[PlannedAction] = []
        for planned in recreate:
            assert planned.live is not None
            try:
                if not being_deleted(planned.live):
                    self.kube.delete(planned.live)
            except KubeError as error:
                self._fail(planned.ref, error)
                continue
            deleted.append(planned)
        if self.kube.dry_run:
            return set()
        return self._wait_gone(deleted)

    def _wait_gone(self, deleted: list[PlannedAction]) -> set[MemberRef]:
        deadline = max(self.delete_deadline, time.monotonic() + MIN_DELETE_WAIT_SECONDS)
        gone: set[MemberRef] = set()
        waiting = deleted
        while waiting:
            still: list[PlannedAction] = []
            for planned in waiting:
                assert planned.live is not None
                try:
                    if self.kube.is_gone(planned.live):
                        gone.add(planned.ref)
                    else:
                        still.append(planned)
                except KubeError as error:
                    self._fail(planned.ref, error)
            waiting = still
            if waiting and time.monotonic() >= deadline:
                break
            if waiting:
                time.sleep(DELETE_POLL_SECONDS)
        for planned in waiting:
            self.pending[planned.ref] = f"{planned.ref} still terminating: created again by a later cycle"
        return gone

    def _apply_one(self, planned: PlannedAction, desired: KubeObject) -> None:
        manager = self.options.field_manager
        try:
            if is_generated_secret(desired):  # create-only: a POST never takes over an existing Secret
                stored = self.kube.create(_with_generated_value(desired), manager)
            else:
                stored = self.kube.apply(desired, manager)
        except KubeError as error:
            self._fail(planned.ref, error)
            return
        if not self.options.dry_run:
            self.stored[planned.ref] = self.compactor(stored)

    def _prune_all(self) -> None:
        for planned in ordered_for_prune(self.plan.actions):
            assert planned.live is not None
            try:
                self.kube.delete(planned.live)
            except KubeError as error:
                self._fail(planned.ref, error)
                continue
            self.pruned.add(planned.ref)
            if not self.options.dry_run:
                self.stored[planned.ref] = None


# --- the cycle ----------------------------------------------------------------------------------------


def _live_after(
    live: Mapping[MemberRef, KubeObject], stored: Mapping[MemberRef, KubeObject | None]
) -> dict[MemberRef, KubeObject]:
    """Live state after our writes, from the API server's answers (no second LIST)."""
    after = dict(live)
    for ref, obj in stored.items():
        if obj is None:
            after.pop(ref, None)
        else:
            after[ref] = obj
    return after


def _by_applyset(live: Iterable[KubeObject]) -> dict[str, list[KubeObject]]:
    """Live objects grouped by their ApplySet label, so each unit's orphan check sees only its own."""
    grouped: dict[str, list[KubeObject]] = {}
    for obj in live:
        applyset = label(obj, PART_OF_LABEL)
        if applyset:
            grouped.setdefault(applyset, []).append(obj)
    return grouped


def _failed_unit(key: UnitKey, source: str, message: str, plan: UnitPlan | None = None) -> UnitResult:
    """A unit that could not be carried out at all: nothing of it was applied or pruned."""
    problem = Problem(source, message, object=f"unit {key}")
    drift = UnitDrift(key, source, (), None, (problem,))
    counts = plan.counts(action.ref for action in plan.actions) if plan else Counts(failed=1)
    changes = _changes(plan) if plan else ()
    return UnitResult(
        key, counts, (problem,), drift, changes, failed=frozenset(change.ref for change in changes)
    )


def _blocked_by(
    scopes: Iterable[Scope], list_errors: Mapping[Scope, str], ns_errors: Mapping[str, str]
) -> str:
    """Why a unit cannot proceed: a LIST it needs failed, or its namespace is missing."""
    reasons = {list_errors[s] for s in scopes if s in list_errors} | {
        ns_errors[s[2]] for s in scopes if s[2] in ns_errors
    }
    return "; ".join(sorted(reasons))


def sync_state(
    state: DesiredState,
    kube: ClusterApi,
    options: SyncOptions,
    only: Collection[UnitKey] | None = None,
    stamps: StampMemo | None = None,
) -> SyncResult:
    """One cycle. API errors never raise: they end up on the units they concern. A dry run goes through a
    dry-run client and a no-heal run through one that refuses every write, whatever the code below does;
    `Fenced` (this replica may no longer write) aborts the cycle.

    `only`: sync just these units of `state` (the controller's answer to a Pod event): only their objects
    are read, applied and pruned, and no inventory is retired (`plan_state`). `stamps`: a controller's
    stamped objects from earlier cycles (`reconcile.stamp.StampMemo`)."""
    if options.source_id:
        state = replace(state, source_id=options.source_id)
    if options.dry_run:
        kube = kube.with_writes(dry_run=True)
    if not options.heal:
        kube = kube.with_writes(check=_observe_only)
    with gc_paused():  # the cycle holds every listed object: GC passes over them would cost seconds
        return _sync(state, kube, options, only, stamps)


def _observe_only() -> None:
    raise Fenced("a no-heal cycle observes only: no write may be sent")


def _sync(
    state: DesiredState,
    kube: ClusterApi,
    options: SyncOptions,
    only: Collection[UnitKey] | None,
    stamps: StampMemo | None,
) -> SyncResult:
    before = kube.requests
    delete_deadline = time.monotonic() + options.delete_wait
    sources = {unit.key: unit.source for unit in state.units if only is None or unit.key in only}
    try:
        inventories, broken, parents = _read_inventories(kube, state)
    except KubeError as error:
        # Without the inventories nothing can be pruned safely, nor applied without being recorded.
        failed = [_failed_unit(key, sources[key], f"reading inventories: {error}") for key in sorted(sources)]
        return _result(failed, "", kube, before)
    if only is not None:
        inventories = {key: inventory for key, inventory in inventories.items() if key in only}
        broken = {key: message for key, message in broken.items() if key in only}
    units = {unit.key: unit for unit in state.units if unit.key not in broken}
    synced = {key: unit for key, unit in units.items() if only is None or key in only}
    namespaces = {ref.namespace for unit in synced.values() if unit.ok for ref in unit.refs}
    missing, ns_errors = _ensure_namespaces(kube, namespaces - {""}, options)
    scopes = {key: _unit_scopes(synced.get(key), inventories.get(key)) for key in {*synced, *inventories}}
    stamps = stamps if stamps is not None else StampMemo()
    expected = {
        ref: annotation(obj, APPLIED_HASH_ANNOTATION)
        for unit in synced.values()
        if unit.ok
        for ref, obj in zip(unit.refs, stamps.stamped(unit.key, unit.objects), strict=True)
    }
    compactor = _Compactor(options.heal and not kube.dry_run, expected)
    live, list_errors = _list_live(kube, set().union(*scopes.values()), compactor)
    plan = plan_state(
        replace(state, units=tuple(units.values())),
        live,
        inventories,
        options.allow_empty_prune,
        options.adopt,
        only,
        stamps,
    )

    results = {key: _failed_unit(key, sources.get(key, ""), message) for key, message in broken.items()}
    runnable: list[UnitPlan] = []
    for unit_plan in plan.units:
        blocked = _blocked_by(scopes.get(unit_plan.key, set()), list_errors, ns_errors)
        if blocked and unit_plan.ok:
            results[unit_plan.key] = _failed_unit(unit_plan.key, unit_plan.source, blocked, unit_plan)
        else:
            runnable.append(unit_plan)
    runs = {
        p.key: _UnitRun(kube, p, options, missing, delete_deadline, compactor)
        for p in runnable
        if p.ok and p.has_writes and options.heal
    }
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        list(pool.map(_UnitRun.timed_run, runs.values()))

    ours = _by_applyset(live.values())
    for unit_plan in runnable:
        run = runs.get(unit_plan.key)
        after = _live_after(live, run.stored) if run else live
        unit = units.get(unit_plan.key) or RenderedUnit(unit_plan.key, unit_plan.source)
        observed = time.monotonic()
        drift, read_errors = _unit_drift(kube, unit, unit_plan, after, ours, compactor, run)
        duration = time.monotonic() - observed + (run.seconds if run else 0.0)
        errors = (tuple(run.errors) if run else unit_plan.problems) + read_errors
        counts = unit_plan.counts(run.failed, run.pending) if run else unit_plan.counts()
        pending = (
            tuple(run.pending[ref] for ref in sorted(run.pending, key=MemberRef.sort_key)) if run else ()
        )
        failed_refs = frozenset(run.failed) if run else frozenset()
        deferred = frozenset(run.pending) if run else frozenset()
        changes = _changes(unit_plan)
        recorded = inventories[unit_plan.key].members if unit_plan.key in inventories else frozenset()
        results[unit_plan.key] = UnitResult(
            unit_plan.key,
            counts,
            errors,
            drift,
            changes,
            pending,
            failed=failed_refs,
            deferred=deferred,
            healed=healed_by(changes, recorded, failed_refs | deferred) if run else frozenset(),
            duration=duration,
            held=unit_plan.held,
        )
    held = {unit_plan.key: unit_plan.held for unit_plan in runnable if unit_plan.retired}

    def with_status(key: UnitKey) -> UnitResult:
        run = runs.get(key)
        after = _live_after(live, run.stored) if run else live
        parent = (
            (run.parent or (None if run.parent_deleted else parents.get(key))) if run else parents.get(key)
        )
        return _with_status(
            kube,
            results[key],
            units.get(key),
            after,
            inventories.get(key),
            held.get(key, ""),
            parent,
            options,
        )

    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:  # a first cycle writes every status
        final = list(pool.map(with_status, sorted(results)))
    return _result(final, plan.prune_held, kube, before)


def _with_status(
    kube: ClusterApi,
    result: UnitResult,
    unit: RenderedUnit | None,
    live: Mapping[MemberRef, KubeObject],
    inventory: Inventory | None,
    held: str,
    parent: KubeObject | None,
    options: SyncOptions,
) -> UnitResult:
    """The unit's result with its observed status, written to its parent (when there is one and this
    cycle may write) if it changed; a cluster gone from the source keeps the target its status named, and
    has no status once its parent is gone too."""
    if unit is None and parent is None:
        return result
    previous = read_status(parent) if parent is not None else None
    target = unit.target if unit is not None else str((previous or {}).get("target") or "")
    health = cluster_health(
        unit or RenderedUnit(result.key, result.drift.source), result.drift.health, live, inventory
    )
    observed = observe_unit(
        result.drift,
        result.errors,
        result.pending,
        held,
        target,
        options.revision,
        health,
        wrote=bool(result.changes),
    )
    problem = None
    if parent is not None and options.heal and not kube.dry_run:
        problem = write_status(kube, result.key, result.drift.source, parent, observed, now_text())
    errors = (*result.errors, problem) if problem else result.errors
    return replace(result, status=observed, errors=errors)


def _unit_drift(
    kube: ClusterApi,
    unit: RenderedUnit,
    plan: UnitPlan,
    after: dict[MemberRef, KubeObject],
    ours: Mapping[str, list[KubeObject]],
    compactor: _Compactor,
    run: _UnitRun | None,
) -> tuple[UnitDrift, tuple[Problem, ...]]:
    """The unit's drift after this cycle's writes. What the plan proved in sync and nothing rewrote is not
    judged again; a compacted object whose report needs its fields is read again whole first."""
    written = run.stored.keys() if run else frozenset()
    in_sync = frozenset(
        planned.ref
        for planned in plan.actions
        if planned.standing is Standing.SYNCED and planned.ref not in written
    )
    applyset = unit_applyset_id(plan.key.name, plan.key.namespace)
    grouped = ours.get(applyset, ())
    drift = unit_drift(unit, after, plan.inventory, grouped, plan.held, in_sync)
    partial = [d.ref for d in drift.objects if d.ref in compactor.compacted and d.state in DETAILED_STATES]
    if not partial:
        return drift, ()
    after = dict(after)
    errors: list[Problem] = []
    for ref in partial:
        try:
            whole = kube.get(ref.api_version, ref.kind, ref.namespace, ref.name)
        except KubeError as error:
            errors.append(Problem(plan.source, f"reading {ref} for its drift report: {error}"))
            continue
        if whole is None:
            after.pop(ref, None)
        else:
            after[ref] = whole
    return unit_drift(unit, after, plan.inventory, grouped, plan.held, in_sync), tuple(errors)


def _result(units: list[UnitResult], held: str, kube: ClusterApi, before: Mapping[str, int]) -> SyncResult:
    sent = since(before, kube.requests)
    return SyncResult(tuple(units), held, sent, RequestCounter.writes_in(sent))
