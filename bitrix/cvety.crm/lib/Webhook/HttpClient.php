<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/** Sends one HTTP POST; the kit's only way out to the network. */
interface HttpClient
{
    /**
     * @param array<string, string> $headers
     * @return array{0: int, 1: string} status and body
     * @throws TransportError when no answer came (refused, timed out)
     */
    public function post(string $url, array $headers, string $body): array;

    /**
     * @return array{0: int, 1: string} status and body
     * @throws TransportError when no answer came
     */
    public function get(string $url): array;
}
