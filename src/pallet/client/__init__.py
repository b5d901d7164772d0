"""pallet's client of the Docker Engine API (v1.44), for the CLI, compose, kube, scan.

``Client(transport)`` (or ``Client.from_host("unix:///run/pallet/pallet.sock")``,
``Client.from_env()`` for ``PALLET_HOST``/``DOCKER_HOST``) reaches each resource as an
attribute, one module each, loaded on first use::

    client.system      ping, version, info, events, event_stream, df
                                                                    (client/system.py)
    client.containers  list, create, inspect, start/stop/..., wait, logs, attach,
                       top, prune, commit, changes, export, stats(_once), update
                                                                    (client/containers.py)
    client.exec        create, start (hijacked or detached), resize, inspect
                                                                    (client/execs.py)
    client.archive     stat, get, put: a container's files as tar  (client/archive.py)
    client.images      list, inspect, history, tag, remove, prune, save, load,
                       import_image                                 (client/images.py)
    client.registry    pull, push, login                            (client/registry.py)
    client.build       build, prune                                 (client/build.py)
    client.networks    create, inspect, list, remove, connect, disconnect, prune
                                                                    (client/networks.py)
    client.volumes     create, inspect, list, remove, prune         (client/volumes.py)
    client.pallet      bootstrap, scan_db, scan (pallet's own ``/pallet/...`` routes)
                                                                    (client/pallet_ext.py)

e.g. ``client.networks.create(NetworkCreate(Name="web", Labels={"a": "b"})).Id``.
Every URL path is built by ``resource.path``, which quotes each name or ID; no caller
writes a path. Request bodies are the ``pallet.api`` request Structs
(``models.CreateRequest``, ``netmodels.NetworkCreate``...) or their wire dicts. Answers
a caller reads fields of are typed: msgspec Structs of ``pallet.api.responses``
(networks, volumes, prune reports, df, stats, events...), or small slotted classes on
the ``run``/``exec`` path, which never imports msgspec (``ContainerCreated``,
``WaitStatus``, ``ExecState``). Documents the CLI prints as sent (inspect, lists, info)
stay wire dicts; streams are ``http.Response`` objects (``streams.progress_messages``
reads progress, ``copy_frames`` logs) or hijacked connections (``hijack.Hijacked``).
Daemon errors arrive as ``pallet.errors`` kinds (NotFound, Conflict...), an answer of
the wrong shape as DataCorruption. Nothing here prints.

Underneath: ``http.Transport`` (one connection per request, version fallback,
auto-start hook), ``wire`` (HTTP/1.1 on a socket), ``hijack`` (attach/exec upgrade).
"""

from pallet.client.engine import Client

__all__ = ["Client"]
