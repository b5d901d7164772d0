"""The Engine API's shapes, shared by both sides: request and response models
(msgspec Structs in :mod:`~pallet.api.models`), API versions and the stream framing
(the 8-byte multiplexed header). Neither the server nor the client owns them; both
import them, so a wire shape is written once.
"""
