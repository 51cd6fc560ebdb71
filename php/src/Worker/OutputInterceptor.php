<?php

declare(strict_types=1);

namespace Burner\Worker;

/**
 * Keeps application output (echo, print, var_dump, PHP notices printed by display_errors) away from STDOUT,
 * which carries the protocol in pipes mode: an output buffer with chunk size 1 hands every write to
 * handle(), which forwards it to STDERR (the server logs it) and returns nothing to the real output.
 *
 * Application code may remove the buffer (CodeIgniter's pre_system listener ends all buffers), so the
 * worker re-arms it before each wait and each response.
 */
final class OutputInterceptor
{
    /** What ob_list_handlers() shows for our buffer. */
    public const HANDLER_NAME = self::class . '::handle';

    /** @var resource */
    private $target;
    private bool $enabled = false;

    /**
     * @param resource|null $target where intercepted output goes; STDERR by default
     */
    public function __construct($target = null)
    {
        $target ??= \defined('STDERR') ? \STDERR : \fopen('php://stderr', 'wb');
        if (!\is_resource($target)) {
            throw new \InvalidArgumentException('OutputInterceptor: target must be a stream resource');
        }
        $this->target = $target;
    }

    /**
     * @internal the output buffer callback
     */
    public function handle(string $buffer, int $phase): string
    {
        if ($buffer !== '') {
            @\fwrite($this->target, $buffer);
        }

        return '';
    }

    public function isEnabled(): bool
    {
        return $this->enabled;
    }

    public function isArmed(): bool
    {
        return \in_array(self::HANDLER_NAME, \ob_list_handlers(), true);
    }

    /**
     * Between requests: our buffer must be the bottom one, so that nothing an app leaves behind can ever be
     * flushed to the real STDOUT (PHP flushes every open buffer at exit). Buffers the app left open are
     * drained to STDERR and closed.
     */
    public function armBetweenRequests(): void
    {
        $this->enabled = true;
        $handlers = \ob_list_handlers();
        if (($handlers[0] ?? null) === self::HANDLER_NAME) {
            // Ours is at the bottom. Leftover buffers above it flush into it, i.e. to STDERR.
            $this->closeLevelsAbove(1);

            return;
        }
        if ($handlers !== []) {
            $this->closeLevelsAbove(0);
        }
        if (\ob_get_level() === 0) {
            $this->start();
        } elseif (!$this->isArmed()) {
            // A non-removable foreign buffer is in the way: stack ours on top, it still catches new output.
            $this->start();
        }
    }

    /**
     * During a request: only make sure our buffer exists somewhere; buffers the app is using are left alone.
     */
    public function armDuringRequest(): void
    {
        $this->enabled = true;
        if (!$this->isArmed()) {
            $this->start();
        }
    }

    /** Removes our buffer (and everything above it), e.g. before handing STDOUT back to a shell. */
    public function disarm(): void
    {
        $this->enabled = false;
        while ($this->isArmed() && \ob_get_level() > 0) {
            $top = \ob_list_handlers()[\ob_get_level() - 1] ?? null;
            $this->forward((string) \ob_get_contents());
            if (!@\ob_end_clean()) {
                return;
            }
            if ($top === self::HANDLER_NAME) {
                return;
            }
        }
    }

    private function start(): void
    {
        \ob_start([$this, 'handle'], 1);
    }

    private function closeLevelsAbove(int $keep): void
    {
        while (\ob_get_level() > $keep) {
            $this->forward((string) \ob_get_contents());
            if (!@\ob_end_clean()) {
                return;
            }
        }
    }

    private function forward(string $buffer): void
    {
        if ($buffer !== '') {
            @\fwrite($this->target, $buffer);
        }
    }
}
