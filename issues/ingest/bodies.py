"""Request bodies as SDKs compress them (Content-Encoding gzip, deflate, br, zstd), inflated
as a stream with a bound on the output: a small body that inflates to gigabytes is refused
once it passes the bound, having used no more memory than the bound allows."""

import zlib
from collections.abc import Iterator

import brotli
import zstandard

# The output of one decompression step: the largest piece held beyond what is kept.
STEP = 64 * 1024
# zstd frames may ask for a window of up to 2 GiB; 8 MiB is what level 19 uses, far more than
# an SDK's default level needs, and keeps a crafted frame from reserving memory.
ZSTD_MAX_WINDOW = 8 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class BodyTooLarge(Exception):
    """The body inflates past the bound."""


class BadEncoding(Exception):
    """The body is not what its Content-Encoding says (corrupt or cut short)."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding this service does not decode."""


def _zlib_steps(body: bytes, *, wbits: int, members: bool) -> Iterator[bytes]:
    data = body
    while True:
        inflater = zlib.decompressobj(wbits)
        while True:
            step = inflater.decompress(data, STEP)
            if step:
                yield step
            data = inflater.unconsumed_tail
            if inflater.eof or (not step and not data):
                break
        if not inflater.eof:
            raise BadEncoding("the compressed body is cut short")
        data = inflater.unused_data
        # gzip allows several members one after the other (what `cat a.gz b.gz` makes).
        if not (members and data.startswith(GZIP_MAGIC)):
            return


def _gzip(body: bytes) -> Iterator[bytes]:
    return _zlib_steps(body, wbits=16 + zlib.MAX_WBITS, members=True)


def _deflate(body: bytes) -> Iterator[bytes]:
    # HTTP's deflate is the zlib format, but some clients send a raw deflate stream: a zlib
    # header is two bytes whose big-endian value is a multiple of 31, method 8.
    wrapped = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
    return _zlib_steps(body, wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS, members=False)


def _brotli(body: bytes) -> Iterator[bytes]:
    inflater = brotli.Decompressor()
    yield inflater.process(body, output_buffer_limit=STEP)
    while not inflater.is_finished():
        step = inflater.process(b"", output_buffer_limit=STEP)
        if not step and inflater.can_accept_more_data():
            raise BadEncoding("the compressed body is cut short")
        yield step


def _zstd(body: bytes) -> Iterator[bytes]:
    decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    # A frame cut short ends the output early: the JSON read next then fails.
    with decompressor.stream_reader(body, read_across_frames=True) as reader:
        while step := reader.read(STEP):
            yield step


DECODERS = {"gzip": _gzip, "x-gzip": _gzip, "deflate": _deflate, "br": _brotli, "zstd": _zstd}


def _bounded(steps: Iterator[bytes], limit: int) -> bytes:
    parts = []
    size = 0
    for step in steps:
        size += len(step)
        if size > limit:
            raise BodyTooLarge
        parts.append(step)
    return b"".join(parts)


def decoded_body(body: bytes, content_encoding: str, *, limit: int) -> bytes:
    """The body with its Content-Encoding undone (several codings in reverse order of
    application), at most `limit` bytes of it: raises BodyTooLarge past that, BadEncoding or
    UnsupportedEncoding."""
    codings = [coding.strip().lower() for coding in content_encoding.split(",")]
    for coding in reversed([coding for coding in codings if coding]):
        if coding == "identity":
            continue
        decoder = DECODERS.get(coding)
        if decoder is None:
            raise UnsupportedEncoding(coding)
        try:
            body = _bounded(decoder(body), limit)
        except (zlib.error, brotli.error, zstandard.ZstdError) as error:
            raise BadEncoding(f"the body is not valid {coding}: {error}") from None
    if len(body) > limit:
        raise BodyTooLarge
    return body
