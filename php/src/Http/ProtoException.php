<?php

declare(strict_types=1);

namespace Burner\Http;

/** Bytes that do not decode as the expected protobuf message. */
class ProtoException extends \UnexpectedValueException
{
}
