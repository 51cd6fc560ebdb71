<?php

// FPM side of the "hello world" app: the same body as worker.php (the Burner side).

header('Content-Type: text/plain; charset=UTF-8');
echo "Hello, world!\n";
