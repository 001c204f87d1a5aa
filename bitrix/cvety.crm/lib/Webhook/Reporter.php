<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * Tells the Worker how the kit's outbox stands (`POST /webhooks/bitrix/outbox`, signed like a
 * webhook): what waits, what fails, what is dead and the newest dead events. The agent sends it
 * every run, so the CRM's sync page shows the shop's side too, and notices when the agent stops.
 */
final class Reporter
{
    /** The most dead events a report lists (the Worker takes no more). */
    public const MAX_DEAD_EVENTS = 20;

    public function __construct(
        private Outbox $outbox,
        private Signer $signer,
        private HttpClient $http,
        private string $workerUrl,
    ) {
    }

    /** The report's address: beside the webhook's (`…/webhooks/bitrix/order` → `…/outbox`). */
    public static function reportUrl(string $webhookUrl): string
    {
        return (string) preg_replace('~/order/?$~', '/outbox', $webhookUrl);
    }

    /** Sends the report; the Worker's status code, or null when it could not be reached. */
    public function report(int $now): ?int
    {
        $status = $this->outbox->status();
        $body = json_encode([
            'waiting' => $status['unsent'],
            'failing' => $status['failing'],
            'dead' => $status['dead'],
            'oldest_waiting_at' => $status['oldest_unsent_at'],
            'dead_events' => array_map(static fn (array $event): array => [
                'id' => $event['id'], 'order_id' => $event['order_id'], 'event' => $event['event'],
                'last_status' => $event['last_status'], 'last_error' => $event['last_error'] === null
                    ? null : mb_substr((string) $event['last_error'], 0, 300),
            ], $this->outbox->dead(self::MAX_DEAD_EVENTS)),
        ], JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
        try {
            [$code] = $this->http->post(self::reportUrl($this->workerUrl), $this->signer->headers('rpt_' . $now, $now, $body), $body);
            return $code;
        } catch (TransportError) {
            return null;
        }
    }
}
