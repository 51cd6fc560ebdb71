<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * Thrown where CodeIgniter would send a response and exit (force_https, the toolbar, route redirects on CI < 4.4):
 * the bridge catches it and answers with the carried response instead.
 */
final class ResponseReady extends \RuntimeException
{
    /** @var object CodeIgniter\HTTP\ResponseInterface */
    public readonly object $response;

    public function __construct(object $response)
    {
        parent::__construct('response ready');
        $this->response = $response;
    }
}
