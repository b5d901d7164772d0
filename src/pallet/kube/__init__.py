"""``pallet kube``: containers and compose projects to Kubernetes manifests, and back.

``convert`` is the converter (pure: a compose ``Project`` plus the images' facts and the
secrets' content in, objects and warnings out), with ``podspec`` (a service's pod
template), ``resources`` (Secrets, ConfigMaps, Services, NetworkPolicies) and ``unhandled``
(every key without a Kubernetes form, named). ``gather`` reads what the converter needs
through ``pallet.client`` (and containers as compose services), ``validate`` checks the
objects against Kubernetes' schemas, ``emit`` writes and reads YAML, ``generate`` ties
them together for ``pallet kube generate`` and ``push``. ``play``, ``playrun`` and
``podrun`` run manifests on the engine (``pallet kube play``).
"""
