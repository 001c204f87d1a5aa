<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Gateway\IdempotencyStore as Keys;

final class IdempotencyStoreTest extends KitCase
{
    public function testAKeyRunsOnceThenRepeatsItsAnswerAndRefusesAnotherRequest(): void
    {
        $keys = $this->kit->keys;
        self::assertSame([Keys::NEW, null, null], $keys->begin('k1', 'hash-a', $this->now));
        self::assertSame([Keys::IN_FLIGHT, null, null], $keys->begin('k1', 'hash-a', $this->now + 5));
        $keys->finish('k1', 200, ['ok' => true, 'bitrix_order_id' => '700001'], $this->now + 6);
        self::assertSame([Keys::REPLAY, 200, ['ok' => true, 'bitrix_order_id' => '700001']], $keys->begin('k1', 'hash-a', $this->now + 7));
        self::assertSame([Keys::CONFLICT, null, null], $keys->begin('k1', 'hash-b', $this->now + 8));
    }

    public function testAKeyWhoseRequestDiedIsTakenOverOnceAfterAMinute(): void
    {
        $keys = $this->kit->keys;
        $keys->begin('k2', 'h', $this->now);
        self::assertSame(Keys::IN_FLIGHT, $keys->begin('k2', 'h', $this->now + 59)[0]);
        self::assertSame(Keys::NEW, $keys->begin('k2', 'h', $this->now + 61)[0]);
        self::assertSame(Keys::IN_FLIGHT, $keys->begin('k2', 'h', $this->now + 62)[0], 'only one takes it over');
    }

    public function testAReleasedKeyRunsAgainAndOldKeysArePrunedAfterEightDays(): void
    {
        $keys = $this->kit->keys;
        $keys->begin('k3', 'h', $this->now);
        $keys->release('k3');
        self::assertSame(Keys::NEW, $keys->begin('k3', 'h', $this->now)[0]);
        $keys->finish('k3', 200, ['ok' => true], $this->now);
        self::assertSame(0, $keys->prune($this->now + 7 * 86400));
        self::assertSame(1, $keys->prune($this->now + 9 * 86400));
        self::assertSame(Keys::NEW, $keys->begin('k3', 'h', $this->now + 9 * 86400)[0]);
    }
}
