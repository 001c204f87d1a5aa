<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Webhook\Signer;
use PHPUnit\Framework\TestCase;

final class SignerTest extends TestCase
{
    /** The test vector published with the Standard Webhooks specification. */
    private const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    private const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    private const TIMESTAMP = 1614265330;
    private const BODY = '{"test": 2432232314}';
    private const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

    public function testSigningTheSpecificationsVectorGivesItsSignature(): void
    {
        $headers = (new Signer(self::SECRET))->headers(self::ID, self::TIMESTAMP, self::BODY);
        self::assertSame(['webhook-id' => self::ID, 'webhook-timestamp' => '1614265330', 'webhook-signature' => self::SIGNATURE], $headers);
    }

    public function testTheVectorVerifiesWithinFiveMinutesAndNotAfter(): void
    {
        $signer = new Signer(self::SECRET);
        self::assertTrue($signer->verify(self::ID, '1614265330', self::SIGNATURE, self::BODY, self::TIMESTAMP + 300));
        self::assertFalse($signer->verify(self::ID, '1614265330', self::SIGNATURE, self::BODY, self::TIMESTAMP + 301));
        self::assertFalse($signer->verify(self::ID, '1614265330', self::SIGNATURE, '{"test": 2432232315}', self::TIMESTAMP));
        self::assertTrue($signer->verify(self::ID, '1614265330', 'v1,AAAA ' . self::SIGNATURE, self::BODY, self::TIMESTAMP));
    }

    public function testASecretThatIsNotWhsecBase64OfSixteenBytesIsRefused(): void
    {
        foreach (['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_not base64!', 'whsec_c2hvcnQ='] as $secret) {
            try {
                new Signer($secret);
                self::fail("$secret was accepted");
            } catch (\InvalidArgumentException $refused) {
                self::assertStringContainsString('whsec_', $refused->getMessage());
            }
        }
    }
}
