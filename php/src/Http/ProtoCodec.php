<?php

declare(strict_types=1);

namespace Burner\Http;

/**
 * Hand-written protobuf wire codec for the two messages the HTTP plugin exchanges (package http.v1), so that
 * neither google/protobuf nor ext-protobuf is needed:
 *
 *   Request  { string remote_addr=1; string protocol=2; string method=3; string uri=4;
 *              map<string,HeaderValue> header=5; map<string,HeaderValue> cookies=6; string raw_query=7;
 *              bool parsed=8; bytes uploads=9; map<string,HeaderValue> attributes=10; }
 *   Response { int64 status=1; map<string,HeaderValue> headers=2; }
 *   HeaderValue { repeated bytes value=1; }
 *
 * A map field is a repeated entry message { key=1; value=2 }. Unknown fields are skipped.
 */
final class ProtoCodec
{
    private const VARINT = 0;
    private const FIXED64 = 1;
    private const LEN = 2;
    private const FIXED32 = 5;

    /**
     * @return array{remoteAddr: string, protocol: string, method: string, uri: string,
     *               headers: array<string, list<string>>, cookies: array<string, list<string>>,
     *               rawQuery: string, parsed: bool, uploads: string, attributes: array<string, list<string>>}
     */
    public static function decodeRequest(string $data): array
    {
        $r = [
            'remoteAddr' => '', 'protocol' => '', 'method' => '', 'uri' => '',
            'headers' => [], 'cookies' => [], 'rawQuery' => '', 'parsed' => false, 'uploads' => '', 'attributes' => [],
        ];
        $pos = 0;
        $end = \strlen($data);
        while ($pos < $end) {
            [$field, $type] = self::readTag($data, $pos);
            if ($type === self::LEN) {
                $value = self::readBytes($data, $pos, $end);
                switch ($field) {
                    case 1:
                        $r['remoteAddr'] = $value;
                        break;
                    case 2:
                        $r['protocol'] = $value;
                        break;
                    case 3:
                        $r['method'] = $value;
                        break;
                    case 4:
                        $r['uri'] = $value;
                        break;
                    case 5:
                        self::mapEntry($value, $r['headers']);
                        break;
                    case 6:
                        self::mapEntry($value, $r['cookies']);
                        break;
                    case 7:
                        $r['rawQuery'] = $value;
                        break;
                    case 9:
                        $r['uploads'] = $value;
                        break;
                    case 10:
                        self::mapEntry($value, $r['attributes']);
                        break;
                }
                continue;
            }
            if ($field === 8 && $type === self::VARINT) {
                $r['parsed'] = self::readVarint($data, $pos) !== 0;
                continue;
            }
            self::skip($data, $pos, $type);
        }

        return $r;
    }

    /**
     * @param array<string, list<string>> $headers
     */
    public static function encodeResponse(int $status, array $headers): string
    {
        $out = $status !== 0 ? "\x08" . self::varint($status) : '';
        foreach ($headers as $name => $values) {
            $value = '';
            foreach ($values as $v) {
                $value .= "\x0a" . self::varint(\strlen($v)) . $v;
            }
            $entry = "\x0a" . self::varint(\strlen((string) $name)) . $name . "\x12" . self::varint(\strlen($value)) . $value;
            $out .= "\x12" . self::varint(\strlen($entry)) . $entry;
        }

        return $out;
    }

    /**
     * @param array<string, mixed> $request keys as in decodeRequest(); cookie values may be plain strings
     */
    public static function encodeRequest(array $request): string
    {
        // The server side of the codec; used by tests and tools that play the server.
        $out = '';
        foreach ([1 => 'remoteAddr', 2 => 'protocol', 3 => 'method', 4 => 'uri'] as $field => $key) {
            $out .= self::lenField($field, (string) ($request[$key] ?? ''));
        }
        foreach ($request['headers'] ?? [] as $name => $values) {
            $out .= self::lenField(5, self::mapEntryBytes((string) $name, (array) $values));
        }
        foreach ($request['cookies'] ?? [] as $name => $value) {
            $out .= self::lenField(6, self::mapEntryBytes((string) $name, (array) $value));
        }
        $out .= self::lenField(7, (string) ($request['rawQuery'] ?? ''));
        if (!empty($request['parsed'])) {
            $out .= "\x40\x01";
        }
        $out .= self::lenField(9, (string) ($request['uploads'] ?? ''));
        foreach ($request['attributes'] ?? [] as $name => $value) {
            $out .= self::lenField(10, self::mapEntryBytes((string) $name, (array) $value));
        }

        return $out;
    }

    /**
     * @return array{status: int, headers: array<string, list<string>>}
     */
    public static function decodeResponse(string $data): array
    {
        $r = ['status' => 0, 'headers' => []];
        $pos = 0;
        $end = \strlen($data);
        while ($pos < $end) {
            [$field, $type] = self::readTag($data, $pos);
            if ($field === 1 && $type === self::VARINT) {
                $r['status'] = self::readVarint($data, $pos);
            } elseif ($field === 2 && $type === self::LEN) {
                self::mapEntry(self::readBytes($data, $pos, $end), $r['headers']);
            } else {
                self::skip($data, $pos, $type);
            }
        }

        return $r;
    }

    public static function varint(int $value): string
    {
        $out = '';
        // Negative int64 values are 10 bytes of two's complement; >> is arithmetic, so mask after shifting.
        while ($value < 0 || $value > 0x7F) {
            $out .= \chr(($value & 0x7F) | 0x80);
            $value = ($value >> 7) & 0x01FFFFFFFFFFFFFF;
        }

        return $out . \chr($value);
    }

    public static function readVarint(string $data, int &$pos): int
    {
        $result = 0;
        $shift = 0;
        $end = \strlen($data);
        while (true) {
            if ($pos >= $end) {
                throw new ProtoException('malformed protobuf: truncated varint');
            }
            $byte = \ord($data[$pos++]);
            $result |= ($byte & 0x7F) << $shift;
            if ($byte < 0x80) {
                return $result;
            }
            $shift += 7;
            if ($shift > 63) {
                throw new ProtoException('malformed protobuf: varint longer than 10 bytes');
            }
        }
    }

    /** @return array{int, int} field number, wire type */
    private static function readTag(string $data, int &$pos): array
    {
        $tag = self::readVarint($data, $pos);
        $field = $tag >> 3;
        if ($field === 0) {
            throw new ProtoException('malformed protobuf: field number 0');
        }

        return [$field, $tag & 0x07];
    }

    private static function readBytes(string $data, int &$pos, int $end): string
    {
        $length = self::readVarint($data, $pos);
        if ($length < 0 || $length > $end - $pos) {
            throw new ProtoException(\sprintf('malformed protobuf: field length %d exceeds the %d remaining bytes', $length, $end - $pos));
        }
        $value = \substr($data, $pos, $length);
        $pos += $length;

        return $value;
    }

    private static function skip(string $data, int &$pos, int $type): void
    {
        $end = \strlen($data);
        switch ($type) {
            case self::VARINT:
                self::readVarint($data, $pos);

                return;
            case self::FIXED64:
                $pos += 8;
                break;
            case self::LEN:
                self::readBytes($data, $pos, $end);

                return;
            case self::FIXED32:
                $pos += 4;
                break;
            default:
                throw new ProtoException(\sprintf('malformed protobuf: unsupported wire type %d', $type));
        }
        if ($pos > $end) {
            throw new ProtoException('malformed protobuf: truncated fixed-size field');
        }
    }

    /**
     * Decodes one map<string, HeaderValue> entry into $map. A repeated key appends its values.
     *
     * @param array<string, list<string>> $map
     */
    private static function mapEntry(string $entry, array &$map): void
    {
        $key = '';
        $values = [];
        $pos = 0;
        $end = \strlen($entry);
        while ($pos < $end) {
            [$field, $type] = self::readTag($entry, $pos);
            if ($type !== self::LEN) {
                self::skip($entry, $pos, $type);
                continue;
            }
            $bytes = self::readBytes($entry, $pos, $end);
            if ($field === 1) {
                $key = $bytes;
            } elseif ($field === 2) {
                $vpos = 0;
                $vend = \strlen($bytes);
                while ($vpos < $vend) {
                    [$vfield, $vtype] = self::readTag($bytes, $vpos);
                    if ($vfield === 1 && $vtype === self::LEN) {
                        $values[] = self::readBytes($bytes, $vpos, $vend);
                    } else {
                        self::skip($bytes, $vpos, $vtype);
                    }
                }
            }
        }
        if (isset($map[$key])) {
            \array_push($map[$key], ...$values);
        } else {
            $map[$key] = $values;
        }
    }

    /** @param array<int|string, mixed> $values */
    private static function mapEntryBytes(string $key, array $values): string
    {
        $value = '';
        foreach ($values as $v) {
            $value .= self::lenField(1, (string) $v, true);
        }

        return self::lenField(1, $key, true) . self::lenField(2, $value, true);
    }

    private static function lenField(int $field, string $value, bool $always = false): string
    {
        if ($value === '' && !$always) {
            return '';
        }

        return self::varint(($field << 3) | self::LEN) . self::varint(\strlen($value)) . $value;
    }
}
