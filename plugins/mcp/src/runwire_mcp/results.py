"""An MCP tool result (text, images, audio, resources, structured content) as a runwire tool result."""

from __future__ import annotations

import base64
import binascii
import json

from mcp import types
from runwire.media import Audio, File, Image, Media


def _size(data: str) -> int:
    return len(data) * 3 // 4


def _decode(data: str, what: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the server sent {what} whose data is not valid base64") from None


def _as_text(data: bytes, mime_type: str | None) -> str | None:
    """A blob of a textual type, decoded; None for anything else."""
    if not mime_type or not (mime_type.startswith("text/") or mime_type.endswith(("json", "xml", "yaml"))):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def to_text_and_media(result: types.CallToolResult) -> tuple[str, list[Media]]:
    """The text the model reads, and the media (images, audio, binary resources) the result carried.

    Text blocks are kept as they are; every non-text block is named in the text
    (kind, MIME type, size), so a model that cannot see media still knows it
    was there. Structured content is added as JSON when there is no text block
    (servers send its JSON as text too, as the protocol asks).
    """
    parts: list[str] = []
    media: list[Media] = []
    for block in result.content:
        if isinstance(block, types.TextContent):
            parts.append(block.text)
        elif isinstance(block, types.ImageContent):
            media.append(Image(content=_decode(block.data, "an image"), mime_type=block.mime_type))
            parts.append(f"[image: {block.mime_type}, {_size(block.data)} bytes]")
        elif isinstance(block, types.AudioContent):
            media.append(Audio(content=_decode(block.data, "audio"), mime_type=block.mime_type))
            parts.append(f"[audio: {block.mime_type}, {_size(block.data)} bytes]")
        elif isinstance(block, types.EmbeddedResource):
            resource = block.resource
            if isinstance(resource, types.TextResourceContents):
                parts.append(f"[resource {resource.uri}]\n{resource.text}")
            else:
                data = _decode(resource.blob, "a resource")
                text = _as_text(data, resource.mime_type)
                if text is not None:
                    parts.append(f"[resource {resource.uri}]\n{text}")
                    continue
                name = str(resource.uri).rsplit("/", 1)[-1] or "resource"
                media.append(File(content=data, mime_type=resource.mime_type, name=name))
                parts.append(f"[resource {resource.uri}: {resource.mime_type or 'binary'}, {len(data)} bytes]")
        elif isinstance(block, types.ResourceLink):
            about = f" ({block.description})" if block.description else ""
            parts.append(f"[resource link {block.uri}: {block.name}{about}]")
        else:  # a block type newer than this code
            parts.append(f"[{getattr(block, 'type', type(block).__name__)} content]")
    has_text = any(isinstance(block, types.TextContent) for block in result.content)
    if result.structured_content is not None and not has_text:  # text blocks, when there are any, say it for the model
        parts.append(json.dumps(result.structured_content, default=str))
    return "\n".join(parts), media
