<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * Standard Webhooks v1 (https://www.standardwebhooks.com/): webhook-id, webhook-timestamp and
 * webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with a whsec_<base64> secret.
 * The id stays the same on every retry of an event; the timestamp is the attempt's.
 */
final class Signer
{
    public const TOLERANCE_SECONDS = 300;

    private string $key;

    public function __construct(string $secret)
    {
        $secret = trim($secret);
        if (!str_starts_with($secret, 'whsec_')) {
            throw new \InvalidArgumentException('the signing secret starts with whsec_');
        }
        $key = base64_decode(substr($secret, 6), true);
        if ($key === false || strlen($key) < 16) {
            throw new \InvalidArgumentException('the signing secret is whsec_ and the base64 of at least 16 bytes');
        }
        $this->key = $key;
    }

    public function signature(string $id, int $timestamp, string $body): string
    {
        return 'v1,' . base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $this->key, true));
    }

    /** @return array<string, string> the three headers */
    public function headers(string $id, int $timestamp, string $body): array
    {
        return [
            'webhook-id' => $id,
            'webhook-timestamp' => (string) $timestamp,
            'webhook-signature' => $this->signature($id, $timestamp, $body),
        ];
    }

    /** True when one v1 signature of the header matches and the timestamp is within tolerance. */
    public function verify(string $id, string $timestamp, string $signatures, string $body, int $now): bool
    {
        if (!ctype_digit($timestamp) || abs((int) $timestamp - $now) > self::TOLERANCE_SECONDS) {
            return false;
        }
        $expected = $this->signature($id, (int) $timestamp, $body);
        foreach (array_slice(explode(' ', $signatures), 0, 8) as $candidate) {
            if (hash_equals($expected, $candidate)) {
                return true;
            }
        }
        return false;
    }
}
