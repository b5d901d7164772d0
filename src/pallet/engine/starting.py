"""Starting a container: plugins prepare, the spec is written, the runtime creates the
process while deferred plugin work (netavark) finishes, then it starts.

:class:`Starter` is the container service's collaborator for ``start``. A failure at any
point undoes what was done (runtime state, rootfs mount, plugin resources) and records
Docker's exit code for a process that could not start (127 not found, 126 not
executable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

from pallet.engine.ctrcore import ContainerCore, PreStartHook
from pallet.engine.etcfiles import refresh_etc_files, write_etc_files
from pallet.engine.lifecycle import Op, State, next_state
from pallet.engine.plugins import StartContext
from pallet.engine.records import Container, now_rfc3339
from pallet.engine.removal import Removal
from pallet.engine.specbuild import Resolved, build_spec_input
from pallet.errors import CommandFailed, InvalidArgument, PalletError
from pallet.runtime.spec import generate_spec
from pallet.runtime.users import resolve_user
from pallet.snapshots.mount import is_mounted
from pallet.system.atomic import write_json
from pallet.system.securejoin import read_inside

log = logging.getLogger(__name__)



# besides a command that is missing or not executable (exit codes 127 and 126), what the
# kernel answers the runtime when the container's own configuration is wrong (a bad sysctl
# value or mount option); anything else (out of memory, no space, a runtime bug) stays the
# daemon's 500
_CONFIG_FAULTS = ("not a directory", "invalid argument", "numerical result out of range")


def config_fault(message: str) -> bool:
    text = message.lower()
    return any(f in text for f in _CONFIG_FAULTS)


def start_failure_code(message: str) -> int:
    """Docker's exit code for a process that could not be started."""
    text = message.lower()
    if "executable file not found" in text or "no such file or directory" in text:
        return 127
    if ("permission denied" in text or "is a directory" in text
            or "operation not permitted" in text):
        return 126
    return 128



class Starter:
    def __init__(self, core: ContainerCore, removal: Removal) -> None:
        self.core = core
        self.removal = removal

    def add_pre_start(self, cid: str, hook: PreStartHook) -> None:
        """Run ``hook`` after the monitor exists and before the process runs (attach)."""
        self.core.pre_start[cid].append(hook)

    async def start(self, ref: str) -> None:
        c = self.core.resolve(ref)
        async with self.core.locks[c.id]:
            c = self.core.resolve(c.id)
            next_state(Op.START, c.status, c.name)
            await self._start_locked(c)

    async def _start_locked(self, c: Container) -> None:
        bundle = self.core.bundle(c.id)
        rootfs = self.core.rootfs_path(c.id)
        rootfs.mkdir(exist_ok=True)
        if not is_mounted(rootfs):
            await asyncio.to_thread(self.core.rootfs.mount, c.id, rootfs)
        ctx = self._start_context(c)
        created = False
        try:
            for plugin in self.core.plugins:
                await plugin.prepare(c, ctx)
            spec = self._spec(c, bundle, rootfs, ctx)
            etc = ctx.etc_view()
            write_json(bundle / "config.json", spec, durable=False)  # made again each start
            for stale in ("exit", "oom"):
                (bundle / "persist" / stale).unlink(missing_ok=True)
            # the runtime's create runs while deferred plugin work (netavark) finishes
            c.pid = await self._create_process(c, bundle, ctx)
            created = True
            await ctx.settle()
            if ctx.etc_view() != etc:
                refresh_etc_files(bundle, c.config.Hostname, **self._etc_parts(ctx))
        except BaseException as e:
            await ctx.settle(quiet=True)
            if not isinstance(e, PalletError):
                raise
            if created:
                with contextlib.suppress(PalletError):
                    await self.core.runtime.delete(c.id, force=True)
            raise await self._failed_start(c, e) from None
        c.status = State.RUNNING
        c.started_at = now_rfc3339()
        c.exit_code, c.error, c.oom_killed = 0, "", False
        c.manually_stopped = False
        self.core.store.save(c)
        for hook in self.core.pre_start.pop(c.id, []):
            try:
                result = hook(c)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # an attach that fails must not stop the start
                log.exception("pre-start hook of %s failed", c.short_id)
        try:
            await self.core.runtime.start(c.id)
        except PalletError as e:
            await self.core.runtime.delete(c.id, force=True)
            raise await self._failed_start(c, e) from None
        self.core.event(c, "start")
        await self.core.each_plugin("started", c)

    async def _create_process(self, c: Container, bundle: Path, ctx: StartContext) -> int:
        try:
            return await self._runtime_create(c, bundle, ctx)
        except CommandFailed as e:
            if "already exists" not in e.message:
                raise
        # State left by a start that palletd's death cut short: clear it, retry once.
        await self.core.runtime.delete(c.id, force=True)
        return await self._runtime_create(c, bundle, ctx)

    async def _runtime_create(self, c: Container, bundle: Path, ctx: StartContext) -> int:
        return await self.core.runtime.create(
            c.id, bundle, terminal=c.config.Tty, stdin=c.config.OpenStdin,
            stdin_once=c.config.StdinOnce, log_path=self.core.log_path(c.id),
            log_size_max=ctx.log_size_max,
        )

    def _start_context(self, c: Container) -> StartContext:
        hc = c.host_config
        return StartContext(
            netns_path="host" if hc.NetworkMode == "host" else None,
            extra_hosts=list(hc.ExtraHosts or []), dns=list(hc.Dns or []),
            dns_search=list(hc.DnsSearch or []), dns_options=list(hc.DnsOptions or []),
        )

    def _spec(self, c: Container, bundle: Path, rootfs: Path,
              ctx: StartContext) -> dict[str, Any]:
        user = resolve_user(
            c.config.User,
            read_inside(rootfs, "/etc/passwd"),
            read_inside(rootfs, "/etc/group"),
            c.host_config.GroupAdd or [],
        )
        mounts = write_etc_files(bundle, c.config.Hostname, **self._etc_parts(ctx))
        resolved = Resolved(
            uid=user.uid, gid=user.gid, additional_gids=user.additional_gids,
            args=(c.path, *c.args), rootfs=str(rootfs), mounts=(*mounts, *ctx.mounts),
            netns_path=ctx.netns_path, home=user.home or "/", env=tuple(ctx.env),
        )
        return generate_spec(build_spec_input(c, resolved, self.core.host))

    def update_dns(self, c: Container, dns: list[str], search: list[str]) -> None:
        """Rewrite a running container's resolv.conf (a network joined or left)."""
        with contextlib.suppress(FileNotFoundError):
            refresh_etc_files(self.core.bundle(c.id), c.config.Hostname, only=("resolv.conf",),
                              dns=dns, dns_search=search,
                              dns_options=list(c.host_config.DnsOptions or []))

    @staticmethod
    def _etc_parts(ctx: StartContext) -> dict[str, list[str]]:
        return {"ips": ctx.ips, "extra_hosts": ctx.extra_hosts, "dns": ctx.dns,
                "dns_search": ctx.dns_search, "dns_options": ctx.dns_options}

    async def _failed_start(self, c: Container, err: PalletError) -> PalletError:
        """Record the failed start; returns the error to raise (the runtime refusing the
        container's own configuration is the caller's 400, as dockerd answers for a
        command that is missing or not executable)."""
        message = err.message
        code = start_failure_code(message)
        c.exit_code = code
        c.error = message
        c.pid = 0
        c.finished_at = now_rfc3339()
        self.core.store.save(c)
        self.core.pre_start.pop(c.id, None)
        await self.core.release_rootfs(c)
        await self.core.each_plugin("released", c)
        self.core.waiters.exited(c.id, code)
        self.core.event(c, "die", exitCode=str(code))
        if c.host_config.AutoRemove:
            await self.removal.remove_locked(c)
        if isinstance(err, CommandFailed):
            # Docker's wording: its clients key exit codes 127/126 on these words.
            detail = message
            if code == 127:
                detail = f'exec: "{c.path}": executable file not found in $PATH'
            elif code == 126:
                detail = f'exec: "{c.path}": permission denied'
            err.message = ("failed to create task for container: OCI runtime create failed: "
                           f"unable to start container process: {detail}: unknown")
            err.args = (err.message,)
            c.error = err.message
            self.core.store.save(c)
            if code in (126, 127) or config_fault(message):
                return InvalidArgument(err.message)
        return err
