<?php

declare(strict_types=1);

namespace Burner\Worker;

/** A protocol violation by the server (unexpected frame, bad control message). */
class WorkerException extends \RuntimeException
{
}
