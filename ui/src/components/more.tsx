import { useEffect, useRef } from 'preact/hooks';

/** "Show more" for a cursor-paginated list; with `auto`, also when it scrolls into view (infinite scroll). */
export function MoreButton({
  more,
  what,
  auto = false,
}: {
  more: (() => void) | null;
  what: string;
  auto?: boolean;
}) {
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const element = button.current;
    if (!auto || !more || !element) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) more();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [auto, more]);
  if (!more) return null;
  return (
    <button type="button" ref={button} class="secondary more" onClick={more}>
      Show more {what}
    </button>
  );
}
