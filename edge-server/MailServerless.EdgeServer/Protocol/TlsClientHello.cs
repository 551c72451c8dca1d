using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>
/// Reads the ALPN protocols a TLS client offers from its ClientHello (RFC 8446 §4.1.2, RFC 7301 §3.1) without taking
/// the bytes from the connection: .NET's handshake callback tells the server name but not these, and ACME's
/// tls-alpn-01 (RFC 8737 §3) must answer a client offering only <c>acme-tls/1</c>, and no one else, with its
/// certificate. Only the first record is looked at (at most 16 KiB), within the handshake's time.
/// </summary>
public static class TlsClientHello
{
    private const int MaxRecord = 16 * 1024;

    /// <summary>The protocols offered; empty when there are none, or what came is not a ClientHello in one record.</summary>
    public static async Task<IReadOnlyList<string>> PeekAlpnAsync(PipeReader input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var needed = buffer.Length >= 5 ? 5 + RecordLength(buffer) : 5;
            if (buffer.Length >= needed || result.IsCompleted || needed > 5 + MaxRecord)
            {
                var protocols = buffer.Length >= needed && needed <= 5 + MaxRecord ? Parse(buffer.Slice(0, needed).ToArray()) : [];
                // Nothing taken: the TLS layer reads the same bytes.
                input.AdvanceTo(buffer.Start);
                return protocols;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static int RecordLength(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        // A handshake record (22) of TLS 1.x; anything else is not ours to read.
        return header[0] == 22 && header[1] == 3 ? BinaryPrimitives.ReadUInt16BigEndian(header[3..]) : 0;
    }

    /// <summary>The ALPN names in one TLS record holding a ClientHello; empty on anything malformed.</summary>
    public static IReadOnlyList<string> Parse(ReadOnlySpan<byte> record)
    {
        var reader = new Reader(record);
        if (!reader.Skip(5) || !reader.Byte(out var type) || type != 1 || !reader.Skip(3) // handshake: client_hello, length
            || !reader.Skip(2 + 32) // legacy_version, random
            || !reader.Vector(1, out _) || !reader.Vector(2, out _) || !reader.Vector(1, out _) // session id, cipher suites, compression
            || !reader.Vector(2, out var extensions))
        {
            return [];
        }

        var fields = new Reader(extensions);
        while (fields.UInt16(out var extension) && fields.Vector(2, out var data))
        {
            if (extension != 16)
            {
                continue;
            }

            // application_layer_protocol_negotiation: ProtocolNameList, each a one-byte-length name.
            var protocols = new List<string>();
            var list = new Reader(data);
            if (!list.Vector(2, out var names))
            {
                return [];
            }

            var each = new Reader(names);
            while (each.Vector(1, out var name))
            {
                protocols.Add(Encoding.ASCII.GetString(name));
            }

            return protocols;
        }

        return [];
    }

    /// <summary>A bounds-checked cursor: every read says whether the bytes were there.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public bool Skip(int count)
        {
            if (_rest.Length < count)
            {
                return false;
            }

            _rest = _rest[count..];
            return true;
        }

        public bool Byte(out byte value)
        {
            value = _rest.Length > 0 ? _rest[0] : (byte)0;
            return Skip(1);
        }

        public bool UInt16(out int value)
        {
            value = _rest.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(_rest) : 0;
            return Skip(2);
        }

        /// <summary>A length-prefixed vector (RFC 8446 §3.4) with a <paramref name="lengthBytes"/>-byte length.</summary>
        public bool Vector(int lengthBytes, out ReadOnlySpan<byte> content)
        {
            content = default;
            if (_rest.Length < lengthBytes)
            {
                return false;
            }

            var length = lengthBytes == 1 ? _rest[0] : BinaryPrimitives.ReadUInt16BigEndian(_rest);
            if (_rest.Length < lengthBytes + length)
            {
                return false;
            }

            content = _rest.Slice(lengthBytes, length);
            _rest = _rest[(lengthBytes + length)..];
            return true;
        }
    }
}
