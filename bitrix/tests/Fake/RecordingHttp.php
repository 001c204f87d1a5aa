<?php
declare(strict_types=1);

namespace CvetyCrm\Tests\Fake;

use CvetyCrm\Webhook\HttpClient;
use CvetyCrm\Webhook\TransportError;

/** The Worker, as the sender sees it: records each POST and answers as it is told to. */
final class RecordingHttp implements HttpClient
{
    /** @var list<array{url: string, headers: array<string, string>, body: string}> */
    public array $requests = [];
    /** @var list<int|null> answers to give, in order (null: no answer); then 200 */
    public array $script = [];

    public function post(string $url, array $headers, string $body): array
    {
        $this->requests[] = ['url' => $url, 'headers' => $headers, 'body' => $body];
        $status = array_shift($this->script) ?? 200;
        if ($status === 0) {
            throw new TransportError('Connection refused');
        }
        return [$status, $status < 300 ? '{"ok":true}' : '{"ok":false,"error":"store_unavailable"}'];
    }

    /** @var array<string, array{0: int, 1: string}> GET answers by URL (absent: no answer) */
    public array $pages = [];

    public function get(string $url): array
    {
        return $this->pages[$url] ?? throw new TransportError('Connection refused');
    }

    /** @return list<string> the events' event names and order ids, as sent */
    public function sent(): array
    {
        return array_map(static function (array $request): string {
            $body = json_decode($request['body'], true);
            return $body['event'] . ' ' . $body['data']['ID'];
        }, $this->requests);
    }
}
