<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

use CodeIgniter\HTTP\UserAgent;

/**
 * What CodeIgniter's UserAgent found in a User-Agent string, remembered per distinct string for the worker's life.
 *
 * Every request with a User-Agent header has CodeIgniter build a UserAgent, whose constructor runs regular
 * expressions over every platform, browser, robot and mobile of Config\UserAgents: about 30 µs per request with a
 * browser's string, whether or not the page ever asks. A worker sees the same few strings over and over. The first
 * time a string comes, CodeIgniter parses it as usual and its findings are kept; later requests with that string get
 * a UserAgent built while the four lists are empty for a moment (its constructor then finds nothing, at once), and
 * the kept findings written into it. The object is CodeIgniter's own, as fresh as before: the same agent string,
 * config (the lists are back before the app runs, so parse() works as usual) and a referrer still read lazily.
 *
 * It stays out of the way of an app that builds its own UserAgent: when the request's agent is not exactly
 * CodeIgniter's class or was not given the config object seen here, the memo turns itself off for the worker.
 */
final class UserAgentMemo
{
    /** Distinct strings kept; past that the oldest one goes (a client could send a new string every time). */
    public const MAX_STRINGS = 1000;
    private const LISTS = ['platforms', 'browsers', 'mobiles', 'robots'];

    /** @var array<string, array<string, mixed>> the UserAgent's findings per raw header value */
    private array $found = [];
    private bool $enabled = true;
    private ?\Closure $read = null;
    private ?\Closure $write = null;

    /**
     * Builds the request with $create, which must make its UserAgent from $agents (the Config\UserAgents object
     * CodeIgniter's constructor will use) and $_SERVER['HTTP_USER_AGENT'].
     *
     * @template T of object
     * @param \Closure(): T $create
     * @return T
     */
    public function build(?object $agents, \Closure $create): object
    {
        $string = $_SERVER['HTTP_USER_AGENT'] ?? null;
        if (! $this->enabled || ! is_string($string) || $agents === null || ! class_exists(UserAgent::class)) {
            return $create();
        }
        $known = $this->found[$string] ?? null;
        if ($known === null) {
            $request = $create();
            $this->learn($string, $request, $agents);

            return $request;
        }
        $lists = [];
        foreach (self::LISTS as $list) {
            $lists[$list] = $agents->{$list};
            $agents->{$list} = [];
        }
        try {
            $request = $create();
        } finally {
            foreach ($lists as $list => $value) {
                $agents->{$list} = $value;
            }
        }
        $agent = method_exists($request, 'getUserAgent') ? $request->getUserAgent() : null;
        if ($agent !== null && $agent::class === UserAgent::class) {
            ($this->write)($agent, $known);
        } elseif ($agent instanceof UserAgent) {
            // Not ours to fill: have it parse the string itself, with the lists back.
            $agent->parse($string);
            $this->enabled = false;
        }

        return $request;
    }

    /** How many distinct strings are remembered (for tests). */
    public function size(): int
    {
        return count($this->found);
    }

    private function learn(string $string, object $request, object $agents): void
    {
        $agent = method_exists($request, 'getUserAgent') ? $request->getUserAgent() : null;
        if (! is_object($agent) || $agent::class !== UserAgent::class) {
            $this->enabled = false;

            return;
        }
        $this->read ??= (static fn (UserAgent $a): array => [
            'config' => $a->config,
            'isBrowser' => $a->isBrowser,
            'isRobot' => $a->isRobot,
            'isMobile' => $a->isMobile,
            'platform' => $a->platform,
            'browser' => $a->browser,
            'version' => $a->version,
            'mobile' => $a->mobile,
            'robot' => $a->robot,
        ])->bindTo(null, UserAgent::class);
        $this->write ??= (static function (UserAgent $a, array $found): void {
            $a->isBrowser = $found['isBrowser'];
            $a->isRobot = $found['isRobot'];
            $a->isMobile = $found['isMobile'];
            $a->platform = $found['platform'];
            $a->browser = $found['browser'];
            $a->version = $found['version'];
            $a->mobile = $found['mobile'];
            $a->robot = $found['robot'];
        })->bindTo(null, UserAgent::class);
        $found = ($this->read)($agent);
        if ($found['config'] !== $agents) {
            $this->enabled = false;

            return;
        }
        unset($found['config']);
        if (count($this->found) >= self::MAX_STRINGS) {
            unset($this->found[array_key_first($this->found)]);
        }
        $this->found[$string] = $found;
    }
}
