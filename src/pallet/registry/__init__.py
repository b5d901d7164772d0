"""A distribution-spec client: manifests and blobs over HTTP(S), token auth,
credentials from the docker config, for pull and push.
"""
