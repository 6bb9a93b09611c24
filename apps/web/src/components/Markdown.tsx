import { TypographyStylesProvider } from '@mantine/core';
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { useMemo } from 'react';

/** Markdown to sanitized HTML: statements are written by staff, but never trusted as HTML. */
export function renderMarkdown(source: string): string {
  // Fail closed: where DOMPurify cannot work, show the source as text rather than unsanitized HTML.
  if (!DOMPurify.isSupported) return `<pre>${escapeHtml(source)}</pre>`;
  const html = marked.parse(source, { async: false, gfm: true, breaks: false });
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
}

export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  return (
    <TypographyStylesProvider>
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by DOMPurify above */}
      <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />
    </TypographyStylesProvider>
  );
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
