<?php

declare(strict_types=1);

namespace Burner\Tests\Http;

use Burner\Frame;
use Burner\Http\HttpWorker;
use Burner\Http\ProtoCodec;
use Burner\Http\StreamStoppedException;
use Burner\Relay\StreamRelay;
use Burner\Worker\Worker;
use PHPUnit\Framework\TestCase;

/**
 * HttpWorker in-process over stream_socket_pair(): the test writes request frames as the server would and
 * checks the response frames byte by byte.
 */
final class HttpWorkerTest extends TestCase
{
    /** @var resource */
    private $server;
    /** @var resource */
    private $client;
    private StreamRelay $serverSide;
    private HttpWorker $http;

    protected function setUp(): void
    {
        [$this->server, $this->client] = \stream_socket_pair(\STREAM_PF_UNIX, \STREAM_SOCK_STREAM, \STREAM_IPPROTO_IP);
        $this->serverSide = new StreamRelay($this->server, $this->server);
        $this->http = new HttpWorker(new Worker(new StreamRelay($this->client, $this->client), false));
    }

    protected function tearDown(): void
    {
        \fclose($this->server);
        \fclose($this->client);
    }

    private function sendRequest(string $ctx, string $body, int $flags): void
    {
        $this->serverSide->send(Frame::packFrame($ctx . $body, $flags, [\strlen($ctx)]));
    }

    /** @return array{Frame, string, string} frame, header part, body part */
    private function readResponse(): array
    {
        $frame = $this->serverSide->receive();
        self::assertCount(1, $frame->options);

        return [$frame, \substr($frame->payload, 0, $frame->options[0]), (string) \substr($frame->payload, $frame->options[0])];
    }

    public function testJsonRequestAndResponse(): void
    {
        $ctx = \json_encode([
            'remoteAddr' => '10.0.0.7',
            'protocol' => 'HTTP/1.1',
            'method' => 'POST',
            'uri' => 'http://example.com:8080/form/save?x=1&arr[]=a&arr[]=b',
            'headers' => ['Content-Type' => ['application/x-www-form-urlencoded'], 'Accept' => ['text/html', 'application/json']],
            'cookies' => ['sid' => 'abc def'],
            'rawQuery' => 'x=1&arr[]=a&arr[]=b',
            'parsed' => true,
            'uploads' => ['avatar' => ['name' => 'me.png', 'mime' => 'image/png', 'size' => 3, 'error' => 0, 'tmpName' => '/tmp/upload1']],
            'attributes' => ['route' => 'save'],
        ]);
        $this->sendRequest($ctx, '{"name":"Ann","tags":["a","b"]}', Frame::CODEC_JSON);

        $req = $this->http->waitRequest();
        self::assertNotNull($req);
        self::assertSame(HttpWorker::CODEC_JSON, $this->http->getCodec());
        self::assertSame('10.0.0.7', $req->remoteAddr);
        self::assertSame('POST', $req->method);
        self::assertSame('http://example.com:8080/form/save?x=1&arr[]=a&arr[]=b', $req->uri);
        self::assertSame(['text/html', 'application/json'], $req->headers['Accept']);
        self::assertSame('text/html', $req->getHeader('accept'));
        self::assertSame('application/x-www-form-urlencoded', $req->getHeader('CONTENT-TYPE'));
        self::assertNull($req->getHeader('X-Missing'));
        self::assertSame(['sid' => 'abc def'], $req->cookies);
        self::assertSame(['x' => '1', 'arr' => ['a', 'b']], $req->query);
        self::assertTrue($req->parsed);
        self::assertSame('', $req->body, 'a parsed body is not also raw');
        self::assertSame(['name' => 'Ann', 'tags' => ['a', 'b']], $req->parsedBody);
        self::assertSame('me.png', $req->uploads['avatar']['name']);
        self::assertSame(['route' => 'save'], $req->attributes);
        self::assertSame('example.com:8080', $req->getHost());
        self::assertSame('/form/save', $req->getPath());

        $this->http->respond(201, 'created', ['X-One' => 'v', 'X-Two' => ['a', 'b'], 'X-Int' => 5, 'X-Dropped' => []]);
        [$frame, $header, $body] = $this->readResponse();
        self::assertSame(Frame::CODEC_JSON, $frame->flags);
        self::assertSame(0, $frame->byte10);
        self::assertSame('{"status":201,"headers":{"X-One":["v"],"X-Two":["a","b"],"X-Int":["5"]}}', $header);
        self::assertSame('created', $body);
    }

    public function testHeaderValuesBecomeListsOfStrings(): void
    {
        $request = \Burner\Http\Request::fromContext(['headers' => [
            'Accept' => ['text/html', 'application/json'],       // as the server sends them: taken as they are
            'X-Num' => [7, 1.5, true],                            // scalars become strings
            'X-Mixed' => ['a', ['nested'], null, 'b'],            // non-scalars are dropped, the list is renumbered
            'X-Keyed' => ['k' => 'v'],                            // not a list: renumbered
            'X-Single' => 'one',                                  // a lone value becomes a list
            'X-Object' => null,                                   // nothing usable: no header
        ]], '');

        self::assertSame([
            'Accept' => ['text/html', 'application/json'],
            'X-Num' => ['7', '1.5', '1'],
            'X-Mixed' => ['a', 'b'],
            'X-Keyed' => ['v'],
            'X-Single' => ['one'],
        ], $request->headers);
    }

    public function testJsonEmptyHeadersIsAnObject(): void
    {
        $this->sendRequest('{"method":"GET","uri":"http://h/","parsed":false,"uploads":null,"headers":null}', 'raw', Frame::CODEC_JSON);
        $req = $this->http->waitRequest();
        self::assertSame('raw', $req->body);
        self::assertSame([], $req->uploads);
        self::assertSame([], $req->headers);
        $this->http->respond(204);
        [, $header] = $this->readResponse();
        self::assertSame('{"status":204,"headers":{}}', $header);
    }

    public function testProtoRequestFromTheSpecAndProtoResponse(): void
    {
        $this->sendRequest(ProtoCodecTest::SPEC_REQUEST_CTX, '', Frame::CODEC_PROTO);
        $req = $this->http->waitRequest();
        self::assertSame(HttpWorker::CODEC_PROTO, $this->http->getCodec());
        self::assertSame('GET', $req->method);
        self::assertSame('http://localhost:8080/?a=1', $req->uri);
        self::assertSame(['a' => '1'], $req->query);
        self::assertSame('*/*', $req->getHeader('Accept'));
        self::assertSame('localhost:8080', $req->getHost());

        $this->http->respond(200, 'Hello', ['Content-Type' => 'text/plain']);
        $frame = $this->serverSide->receive();
        // The exact frame of spec §1.7 ("HTTP response: status 200, Content-Type: text/plain, body Hello").
        self::assertSame(
            '14802600000' . '05ea13a1d0000' . '21000000' . \bin2hex(ProtoCodecTest::SPEC_RESPONSE_HDR . 'Hello'),
            \bin2hex($frame->pack()),
        );
        self::assertSame(0x80, $frame->flags, 'proto responses carry exactly 0x80');
    }

    public function testProtoCookiesUploadsAttributes(): void
    {
        $ctx = ProtoCodec::encodeRequest([
            'method' => 'POST', 'uri' => 'http://h/up', 'cookies' => ['a' => 'b c'], 'parsed' => true,
            'uploads' => '{"docs":[{"name":"x","mime":"text/plain","size":1,"error":0,"tmpName":"/tmp/u1"}]}',
            'attributes' => ['k' => 'v'],
        ]);
        $this->sendRequest($ctx, '{"f":"1"}', Frame::CODEC_PROTO);
        $req = $this->http->waitRequest();
        self::assertSame(['a' => 'b c'], $req->cookies);
        self::assertSame(['f' => '1'], $req->parsedBody);
        self::assertSame('/tmp/u1', $req->uploads['docs'][0]['tmpName']);
        self::assertSame(['k' => 'v'], $req->attributes);
    }

    public function testCodecDetectionWithoutFlags(): void
    {
        $this->sendRequest('{"method":"PUT","uri":"http://h/"}', '', 0);
        self::assertSame('PUT', $this->http->waitRequest()->method);
        self::assertSame(HttpWorker::CODEC_JSON, $this->http->getCodec());

        $this->sendRequest(ProtoCodecTest::SPEC_REQUEST_CTX, '', 0);
        self::assertSame('GET', $this->http->waitRequest()->method);
        self::assertSame(HttpWorker::CODEC_PROTO, $this->http->getCodec());
    }

    public function testUndecodableContextIsASoftErrorAndTheLoopGoesOn(): void
    {
        $this->sendRequest("\x0a\x50short", '', Frame::CODEC_PROTO);
        $this->sendRequest('{"method":"GET","uri":"http://h/ok"}', '', Frame::CODEC_JSON);
        $req = $this->http->waitRequest();
        self::assertSame('http://h/ok', $req->uri);
        $error = $this->serverSide->receive();
        self::assertSame(Frame::ERROR, $error->flags);
        self::assertStringContainsString('cannot decode the request context', $error->payload);
        self::assertStringContainsString('malformed protobuf', $error->payload);
    }

    public function testManualStreamingAndEarlyHints(): void
    {
        $this->sendRequest(ProtoCodecTest::SPEC_REQUEST_CTX, '', Frame::CODEC_PROTO);
        $this->http->waitRequest();

        $this->http->respond(103, '', ['Link' => '</a.css>; rel=preload'], false);
        $this->http->respond(200, 'part1', ['Content-Type' => 'text/plain'], false);
        $this->http->respond(200, 'part2', ['Content-Type' => 'text/plain']);

        [$f1, $h1, $b1] = $this->readResponse();
        self::assertSame(Frame::STREAM, $f1->byte10);
        self::assertSame(['status' => 103, 'headers' => ['Link' => ['</a.css>; rel=preload']]], ProtoCodec::decodeResponse($h1));
        self::assertSame('', $b1);
        [$f2, , $b2] = $this->readResponse();
        self::assertSame(Frame::STREAM, $f2->byte10);
        self::assertSame('part1', $b2);
        [$f3, $h3, $b3] = $this->readResponse();
        self::assertSame(0, $f3->byte10);
        self::assertSame(200, ProtoCodec::decodeResponse($h3)['status']);
        self::assertSame('part2', $b3);
        self::assertSame(0x80, $f3->flags);
    }

    public function testOneXXWithABodyIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->http->respond(103, 'body', [], false);
    }

    public function testRespondStreamWithAGenerator(): void
    {
        $this->sendRequest('{"method":"GET","uri":"http://h/"}', '', Frame::CODEC_JSON);
        $this->http->waitRequest();
        $this->http->respondStream(200, (static function () {
            yield 'a';
            yield 'b';

            return 'tail';
        })(), ['Content-Type' => 'text/plain']);

        $bodies = [];
        do {
            [$frame, $header, $body] = $this->readResponse();
            self::assertSame('{"status":200,"headers":{"Content-Type":["text/plain"]}}', $header);
            $bodies[] = [$body, $frame->byte10];
        } while ($frame->byte10 & Frame::STREAM);
        self::assertSame([['a', 1], ['b', 1], ['tail', 0]], $bodies);
    }

    public function testRespondStreamWithAnArray(): void
    {
        $this->sendRequest('{"method":"GET","uri":"http://h/"}', '', Frame::CODEC_JSON);
        $this->http->waitRequest();
        $this->http->respondStream(200, ['x', 'y']);
        self::assertSame('x', $this->readResponse()[2]);
        self::assertSame('y', $this->readResponse()[2]);
        [$last, , $body] = $this->readResponse();
        self::assertSame(['', 0], [$body, $last->byte10]);
    }

    public function testRespondStreamStopsWhenTheServerCancels(): void
    {
        $this->sendRequest('{"method":"GET","uri":"http://h/"}', '', Frame::CODEC_JSON);
        $this->http->waitRequest();
        $seen = [];
        $serverSide = $this->serverSide;
        $generator = (static function () use (&$seen, $serverSide) {
            try {
                for ($i = 0; $i < 1000; $i++) {
                    if ($i === 2) {
                        // the client disconnects while chunk 2 is produced
                        $serverSide->send(Frame::packFrame('', 0, [], Frame::STOP));
                    }
                    yield "c$i";
                }
            } catch (StreamStoppedException $e) {
                $seen[] = 'stopped';
            }
        })();
        $this->http->respondStream(200, $generator);
        self::assertSame(['stopped'], $seen);

        $frames = [];
        do {
            [$frame, , $body] = $this->readResponse();
            $frames[] = $body;
        } while ($frame->byte10 & Frame::STREAM);
        self::assertSame(['c0', 'c1', 'c2', ''], $frames, 'stops after the chunk during which STOP arrived, then ends the stream');
    }

    public function testAGeneratorThatThrowsStillEndsTheStream(): void
    {
        $this->sendRequest('{"method":"GET","uri":"http://h/"}', '', Frame::CODEC_JSON);
        $this->http->waitRequest();
        try {
            $this->http->respondStream(200, (static function () {
                yield 'ok';
                throw new \LogicException('app bug');
            })());
            self::fail('the exception must propagate');
        } catch (\LogicException $e) {
            self::assertSame('app bug', $e->getMessage());
        }
        self::assertSame(Frame::STREAM, $this->readResponse()[0]->byte10);
        self::assertSame(0, $this->readResponse()[0]->byte10);
    }

    public function testNormalizeHeaders(): void
    {
        self::assertSame(
            ['A' => ['1'], 'B' => ['x', '2', '1.5'], '7' => ['n']],
            HttpWorker::normalizeHeaders(['A' => '1', 'B' => ['x', 2, 1.5, null, ['nested']], 'C' => [], 'D' => null, 7 => 'n']),
        );
    }
}
