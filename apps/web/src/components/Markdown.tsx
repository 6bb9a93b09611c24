import { TypographyStylesProvider } from '@mantine/core';
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { useMemo } from 'react';

/** Markdown to sanitized HTML: statements are written by staff, but never trusted as HTML. */
export function renderMarkdown(source: string): string {
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
