<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/** HttpClient over curl, with short timeouts: it never holds a Bitrix page for long. */
final class CurlClient implements HttpClient
{
    public function __construct(private int $connectTimeout = 2, private int $timeout = 5)
    {
    }

    public function post(string $url, array $headers, string $body): array
    {
        $lines = ['Content-Type: application/json'];
        foreach ($headers as $name => $value) {
            $lines[] = "$name: $value";
        }
        return $this->request($url, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_HTTPHEADER => $lines]);
    }

    public function get(string $url): array
    {
        return $this->request($url, []);
    }

    /** @return array{0: int, 1: string} */
    private function request(string $url, array $options): array
    {
        $handle = curl_init($url);
        curl_setopt_array($handle, $options + [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => $this->connectTimeout,
            CURLOPT_TIMEOUT => $this->timeout,
            CURLOPT_FOLLOWLOCATION => false,
        ]);
        $answer = curl_exec($handle);
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        $error = curl_error($handle);
        curl_close($handle);
        if ($answer === false || $status === 0) {
            throw new TransportError($error !== '' ? $error : 'no answer');
        }
        return [$status, (string) $answer];
    }
}
